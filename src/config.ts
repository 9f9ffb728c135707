import { Ajv } from 'ajv';
import { Type, type Static } from 'typebox';

/** Every setting the service reads, validated once at boot. The only reader of `process.env`. */
const ConfigSchema = Type.Object({
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL connection URL' })),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'Redis connection URL' })),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  HOLD_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 120 }),
  ADMIN_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 1 })),
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
  WORKER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1_000, default: 50 }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const validate = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: true }).compile(ConfigSchema);

/** Reads the configuration from an environment; throws a ConfigError naming every bad value. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  if (!validate(input)) {
    const problems = (validate.errors ?? []).map((e) => {
      const key = e.instancePath.replace(/^\//, '') || String(e.params['missingProperty'] ?? '');
      return `  ${key}: ${e.message}${key && env[key] !== undefined ? ` (got "${env[key]}")` : ''}`;
    });
    throw new ConfigError(`Invalid configuration:\n${[...new Set(problems)].join('\n')}`);
  }
  return input as Config;
}

/** The required-for-now connection URLs, with a message that says what to set. */
export function requireConnections(config: Config): { databaseUrl: string; redisUrl: string } {
  const missing = (['DATABASE_URL', 'REDIS_URL'] as const).filter((k) => !config[k]);
  if (missing.length > 0) {
    throw new ConfigError(
      `Invalid configuration:\n${missing.map((k) => `  ${k}: is required (e.g. ${k === 'DATABASE_URL' ? 'postgres://postgres@127.0.0.1:5432/flashsale' : 'redis://127.0.0.1:6379'})`).join('\n')}`,
    );
  }
  return { databaseUrl: config.DATABASE_URL!, redisUrl: config.REDIS_URL! };
}
