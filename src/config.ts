import { Ajv } from 'ajv';
import { Type, type Static } from 'typebox';
import { DEFAULT_CURRENCY, isCurrency } from './domain/money.ts';

/** Every setting the service reads, validated once at boot. The only reader of `process.env`. */
const ConfigSchema = Type.Object({
  DATABASE_URL: Type.Optional(
    Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL connection URL; unset: embedded PostgreSQL' }),
  ),
  REDIS_URL: Type.Optional(
    Type.String({ pattern: '^rediss?://', description: 'Redis connection URL; unset: in-process stand-ins' }),
  ),
  REDIS_CLUSTER_NODES: Type.Optional(
    Type.String({
      pattern: '^[^\\s,:]+:\\d{1,5}(,[^\\s,:]+:\\d{1,5})*$',
      description: 'Seed nodes of a Redis Cluster, host:port,host:port,...; takes precedence over REDIS_URL',
    }),
  ),
  DATA_DIR: Type.String({ minLength: 1, default: './.data', description: 'Where the embedded PostgreSQL keeps its data' }),
  EMBEDDED_POSTGRES_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 5433 }),
  WEB_CONCURRENCY: Type.String({
    pattern: '^(auto|\\d{1,3})$',
    default: '1',
    description: 'API processes sharing PORT (node:cluster); 0 or auto = one per core; `serve --processes` wins',
  }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  CURRENCY: Type.String({
    pattern: '^[A-Z]{3}$',
    default: DEFAULT_CURRENCY,
    description: 'ISO 4217 currency of products created without one',
  }),
  HOLD_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 120 }),
  ORDER_PAYMENT_TTL_SECONDS: Type.Integer({
    minimum: 0,
    maximum: 2_592_000,
    default: 900,
    description: 'How long an order may stay unpaid before it is cancelled and its stock returns (up to 30 days); 0 = never',
  }),
  ADMIN_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  CUSTOMER_JWT_SECRET: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'HS256 secret of customer tokens: the customer of a hold is their sub; unset = the body names it',
    }),
  ),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  LOG_FILE: Type.Optional(Type.String({ minLength: 1, description: 'Also append the JSON logs to this file' })),
  SHUTDOWN_DELAY_MS: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 0,
    description: 'After SIGTERM, keep serving this long with /health/ready at 503 before closing',
  }),
  METRICS_PORT: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 65535, description: '`flashsale worker` serves /metrics and /health/* on this port' }),
  ),
  RUN_WORKER: Type.Boolean({ default: true }),
  REDIS_PREFIX: Type.String({ default: '', pattern: '^[A-Za-z0-9:_-]*$' }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 20 }),
  SWEEP_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 600_000, default: 1_000 }),
  RECONCILE_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5_000 }),
  HOLD_RATE_LIMIT_MAX: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Hold requests per client per window; unset = no limit' }),
  ),
  HOLD_RATE_LIMIT_WINDOW_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }),
  WORKER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1_000, default: 50 }),
  HOLD_BATCHING: Type.Boolean({ default: true, description: 'group commit of holds per product' }),
  HOT_LANE: Type.Boolean({
    default: true,
    description: 'sold-out refusals and product reads answered from memory before the router (decision 29)',
  }),
  HOLD_BATCH_MAX: Type.Integer({ minimum: 1, maximum: 5_000, default: 500 }),
  HOLD_BATCH_WINDOW_MS: Type.Integer({ minimum: 0, maximum: 50, default: 0 }),
  NEAR_CACHE_MAX_AGE_MS: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 1_000,
    description: 'API processes keep stock they have seen this long, invalidated through Redis; 0 = no near cache',
  }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const validate = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: true }).compile(ConfigSchema);

/**
 * Reads the configuration from an environment; throws a ConfigError naming every bad setting and
 * what is wrong with it, never its value: a short ADMIN_TOKEN or a DATABASE_URL with a password in
 * it would otherwise end up in stderr and in whatever collects it.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  if (!validate(input)) {
    const problems = (validate.errors ?? []).map((e) => {
      const key = e.instancePath.replace(/^\//, '') || String(e.params['missingProperty'] ?? '');
      return `  ${key}: ${e.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${[...new Set(problems)].join('\n')}`);
  }
  const config = input as Config;
  if (!isCurrency(config.CURRENCY)) {
    throw new ConfigError('Invalid configuration:\n  CURRENCY: is not an ISO 4217 currency code');
  }
  return config;
}

/** Which deployment shape the configuration asks for: each URL left unset falls back on its own. */
export function deploymentShape(config: Config): { database: 'url' | 'embedded'; redis: 'cluster' | 'url' | 'in-process' } {
  return {
    database: config.DATABASE_URL ? 'url' : 'embedded',
    redis: config.REDIS_CLUSTER_NODES ? 'cluster' : config.REDIS_URL ? 'url' : 'in-process',
  };
}
