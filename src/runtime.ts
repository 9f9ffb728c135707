import type pg from 'pg';
import type { Logger as PinoLogger } from 'pino';
import { openEmbeddedDatabase } from './adapters/embedded/postgres.ts';
import { InProcessRateCounter } from './adapters/in-process/rate-counter.ts';
import { InProcessRequestIdempotencyStore } from './adapters/in-process/request-idempotency-store.ts';
import { InProcessWebhookReplayGuard } from './adapters/in-process/webhook-replay-guard.ts';
import { InProcessExpiryScheduler } from './adapters/expiry/in-process-scheduler.ts';
import { InProcessWebhookIdempotencyCache } from './adapters/in-process/webhook-idempotency-cache.ts';
import { InProcessStockMirror } from './adapters/in-process/stock-mirror.ts';
import { InProcessSalePulseStore } from './adapters/in-process/sale-pulse-store.ts';
import { PrometheusMetrics } from './adapters/metrics/prometheus.ts';
import { createPool } from './adapters/postgres/db.ts';
import { readStock } from './adapters/postgres/products.ts';
import { BullMqExpiryScheduler } from './adapters/expiry/bullmq-scheduler.ts';
import {
  createRedis,
  createSubscriberRedis,
  queuePrefix,
  redisTarget,
  type RedisClient,
  type RedisTarget,
} from './adapters/redis/client.ts';
import { NearStockCache } from './adapters/redis/near-stock-cache.ts';
import { RedisRateCounter } from './adapters/redis/rate-counter.ts';
import { RedisRequestIdempotencyStore } from './adapters/redis/request-idempotency-store.ts';
import { RedisWebhookReplayGuard } from './adapters/redis/webhook-replay-guard.ts';
import { RedisWebhookIdempotencyCache } from './adapters/redis/webhook-idempotency-cache.ts';
import { RedisStockMirror } from './adapters/redis/stock-mirror.ts';
import { RedisSalePulseStore } from './adapters/redis/sale-pulse-store.ts';
import { DashboardFeed } from './app/dashboard-feed.ts';
import { ProductCatalog } from './app/get-product.ts';
import { HoldBatcher } from './adapters/postgres/hold-batcher.ts';
import { ProductCurrencies } from './adapters/postgres/product-currencies.ts';
import { allMetrics, type AppContext, type SalePulseStore, type StockMirror, type WebhookIdempotencyCache } from './app/ports.ts';
import { SalePulse } from './app/sale-pulse.ts';
import { ConfigError, type Config } from './config.ts';
import type { FlashsaleDeps } from './http/app.ts';
import type { EdgeGuards } from './http/ports.ts';
import { holdRateLimitFrom } from './http/plugins/rate-limit.ts';
import { parseWebhookSecrets } from './http/plugins/webhook-signature.ts';
import type { ReadinessCheck } from './http/routes/health/index.ts';

/** The composition root: every client and adapter, built once from the configuration. */
export interface Runtime {
  config: Config;
  log: PinoLogger;
  ctx: AppContext;
  /** The HTTP edge's guards: Idempotency-Key records, webhook replays, rate counters. */
  guards: EdgeGuards;
  catalog: ProductCatalog;
  pool: pg.Pool;
  /** The API's near cache of stock, null without Redis or with NEAR_CACHE_MAX_AGE_MS=0. */
  nearCache: NearStockCache | null;
  /** Null without REDIS_URL or REDIS_CLUSTER_NODES: in-process stand-ins then replace Redis and BullMQ. */
  redis: RedisClient | null;
  queueRedis: RedisClient | null;
  /** One Redis server or a Redis Cluster, as the configuration says; the expiry worker connects to it too. */
  redisTarget: RedisTarget | null;
  scheduler: BullMqExpiryScheduler | InProcessExpiryScheduler;
  metrics: PrometheusMetrics;
  /** This process's share of the live dashboard's per-second figures; null for one-off commands. */
  pulse: SalePulse | null;
  /** The live dashboard's snapshots, built only while a stream is open. */
  dashboard: DashboardFeed;
  readiness: ReadinessCheck[];
  close(): Promise<void>;
}

/** A database the runtime connects to, and what to do after its pool is closed. */
export interface DatabaseHandle {
  url: string;
  close(): Promise<void>;
}

/**
 * Opens the database (DATABASE_URL, or else the embedded PostgreSQL under DATA_DIR, started or
 * joined), then builds the runtime on it. Closing the runtime stops an embedded server it started.
 */
export async function openRuntime(config: Config, log: PinoLogger, role: 'api' | 'worker' | 'cli' = 'api'): Promise<Runtime> {
  const database = await openDatabase(config, log);
  try {
    return createRuntime(config, log, role, database);
  } catch (err) {
    await database.close();
    throw err;
  }
}

export async function openDatabase(config: Config, log: PinoLogger): Promise<DatabaseHandle> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, close: async () => {} };
  return openEmbeddedDatabase({
    dataDir: config.DATA_DIR,
    port: config.EMBEDDED_POSTGRES_PORT,
    log,
    currency: config.CURRENCY,
  });
}

export function createRuntime(
  config: Config,
  log: PinoLogger,
  role: 'api' | 'worker' | 'cli' = 'api',
  database?: DatabaseHandle,
): Runtime {
  const databaseUrl = database?.url ?? config.DATABASE_URL;
  if (!databaseUrl)
    throw new ConfigError('No DATABASE_URL: open the runtime with openRuntime, which starts the embedded PostgreSQL.');
  const pool = createPool({
    connectionString: databaseUrl,
    max: config.DATABASE_POOL_SIZE,
    applicationName: `flashsale-${role}`,
    log,
  });
  const target = redisTarget(config);
  // Auto-pipelining sends the commands of concurrent requests in one write: under a storm each
  // request's mirror read would otherwise cost a syscall of its own.
  const redis = target ? createRedis(target, { enableAutoPipelining: true }, { log, name: 'Redis' }) : null;
  // The producer side of the queue fails fast like the mirror: a hold whose job cannot be queued
  // is still committed, and the sweeper expires it. Only the worker needs a blocking connection.
  // BullMQ re-emits this connection's errors on the queue, which reports them.
  const queueRedis = target ? createRedis(target) : null;
  const scheduler =
    target && queueRedis
      ? new BullMqExpiryScheduler(queueRedis, queuePrefix(target, config.REDIS_PREFIX), log)
      : new InProcessExpiryScheduler();
  const redisMirror = redis ? new RedisStockMirror(redis, config.REDIS_PREFIX) : null;
  // API processes answer sold-out refusals and stock reads from the stock they have seen, kept
  // current through Redis pub/sub (near-stock-cache.ts); workers and commands read Redis itself.
  const subscriber =
    target && role === 'api' && config.NEAR_CACHE_MAX_AGE_MS > 0
      ? createSubscriberRedis(target, { log, name: 'Redis (stock changes)' })
      : null;
  const nearCache =
    redisMirror && subscriber
      ? new NearStockCache(redisMirror, subscriber, config.REDIS_PREFIX, { maxAgeMs: config.NEAR_CACHE_MAX_AGE_MS })
      : null;
  const mirror: StockMirror = redisMirror ?? new InProcessStockMirror();
  const webhookIdempotency: WebhookIdempotencyCache = redis
    ? new RedisWebhookIdempotencyCache(redis, config.REDIS_PREFIX)
    : new InProcessWebhookIdempotencyCache();
  const guards: EdgeGuards = redis
    ? {
        requestIdempotency: new RedisRequestIdempotencyStore(redis, config.REDIS_PREFIX),
        webhookReplays: new RedisWebhookReplayGuard(redis, config.REDIS_PREFIX),
        rateCounter: new RedisRateCounter(redis, config.REDIS_PREFIX),
      }
    : {
        requestIdempotency: new InProcessRequestIdempotencyStore(),
        webhookReplays: new InProcessWebhookReplayGuard(),
        rateCounter: new InProcessRateCounter(),
      };
  const metrics = new PrometheusMetrics(
    { availableStock: () => readStock(pool), queueDepth: () => scheduler.depth() },
    { processMetrics: role !== 'cli', onScrapeError: (err, source) => log.warn({ err, source }, 'metrics source failed') },
  );
  const pulses: SalePulseStore = redis ? new RedisSalePulseStore(redis, config.REDIS_PREFIX) : new InProcessSalePulseStore();
  // Serving and worker processes count for the live dashboard; a one-off command has nothing to add.
  const pulse = role === 'cli' ? null : new SalePulse(pulses, log);
  pulse?.start();
  const dashboard = new DashboardFeed({ pool, pulses, log });
  const catalog = new ProductCatalog();
  const ctx: AppContext = {
    pool,
    mirror,
    expiry: scheduler,
    webhookIdempotency,
    log,
    metrics: pulse ? allMetrics(metrics, pulse) : metrics,
    holdTtlSeconds: config.HOLD_TTL_SECONDS,
    orderPaymentTtlSeconds: config.ORDER_PAYMENT_TTL_SECONDS,
    currencies: new ProductCurrencies(),
    catalog,
    ...(nearCache ? { nearStock: nearCache } : {}),
    ...(config.HOLD_BATCHING
      ? { holdBatcher: new HoldBatcher(pool, { maxBatch: config.HOLD_BATCH_MAX, windowMs: config.HOLD_BATCH_WINDOW_MS }) }
      : {}),
  };
  // Without REDIS_URL, "redis" and "queue" report the in-process stand-ins that replace them.
  const readiness: ReadinessCheck[] = [
    { name: 'postgres', check: () => pool.query('select 1') },
    { name: 'redis', check: () => (redis ? redis.ping() : mirror.read(0)) },
    { name: 'queue', check: () => scheduler.depth() },
  ];
  return {
    config,
    log,
    ctx,
    guards,
    catalog,
    nearCache,
    pool,
    redis,
    queueRedis,
    redisTarget: target,
    scheduler,
    metrics,
    pulse,
    dashboard,
    readiness,
    async close() {
      // Reverse order of creation: the queue before its connection, Redis before PostgreSQL, and
      // the embedded server last.
      dashboard.stop();
      await pulse?.stop();
      await scheduler.close().catch(() => {});
      queueRedis?.disconnect();
      subscriber?.disconnect();
      redis?.disconnect();
      await pool.end();
      await database?.close();
    },
  };
}

/** What the HTTP app is built from, taken from the runtime and its configuration. */
export function httpDependencies(rt: Runtime): FlashsaleDeps {
  return {
    ctx: rt.ctx,
    guards: rt.guards,
    catalog: rt.catalog,
    webhookSecrets: parseWebhookSecrets(rt.config.WEBHOOK_SECRET),
    readiness: rt.readiness,
    adminToken: rt.config.ADMIN_TOKEN,
    customerJwtSecret: rt.config.CUSTOMER_JWT_SECRET,
    currency: rt.config.CURRENCY,
    metrics: rt.metrics,
    holdRateLimit: holdRateLimitFrom(rt.config),
    pulse: rt.pulse,
    dashboard: rt.dashboard,
    hotLane: rt.config.HOT_LANE,
  };
}
