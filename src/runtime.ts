import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger as PinoLogger } from 'pino';
import { PrometheusMetrics } from './adapters/metrics/prometheus.ts';
import { createPool } from './adapters/postgres/db.ts';
import { readStock } from './adapters/postgres/products.ts';
import { BullMqExpiryScheduler } from './adapters/queue/expiry-queue.ts';
import { createRedis } from './adapters/redis/client.ts';
import { RedisIdempotencyCache } from './adapters/redis/idempotency-cache.ts';
import { RedisStockMirror } from './adapters/redis/stock-mirror.ts';
import { ProductCatalog } from './app/get-product.ts';
import { scopedLogger } from './app/log-scope.ts';
import type { AppContext } from './app/ports.ts';
import { requireConnections, type Config } from './config.ts';
import type { ReadinessCheck } from './http/routes/health/index.ts';

/** The composition root: every client and adapter, built once from the configuration. */
export interface Runtime {
  config: Config;
  log: PinoLogger;
  ctx: AppContext;
  catalog: ProductCatalog;
  pool: pg.Pool;
  redis: Redis;
  queueRedis: Redis;
  redisUrl: string;
  scheduler: BullMqExpiryScheduler;
  metrics: PrometheusMetrics;
  readiness: ReadinessCheck[];
  close(): Promise<void>;
}

export function createRuntime(config: Config, log: PinoLogger, role: 'api' | 'worker' | 'cli' = 'api'): Runtime {
  const { databaseUrl, redisUrl } = requireConnections(config);
  const pool = createPool({ connectionString: databaseUrl, max: config.DATABASE_POOL_SIZE, applicationName: `flashsale-${role}` });
  const redis = createRedis(redisUrl);
  // The producer side of the queue fails fast like the mirror: a hold whose job cannot be queued
  // is still committed, and the sweeper expires it. Only the worker needs a blocking connection.
  const queueRedis = createRedis(redisUrl);
  const scheduler = new BullMqExpiryScheduler(queueRedis, `${config.REDIS_PREFIX}bull`);
  const metrics = new PrometheusMetrics(
    { availableStock: () => readStock(pool), queueDepth: () => scheduler.depth() },
    { processMetrics: role !== 'cli', onScrapeError: (err, source) => log.warn({ err, source }, 'metrics source failed') },
  );
  const ctx: AppContext = {
    pool,
    mirror: new RedisStockMirror(redis, config.REDIS_PREFIX),
    expiry: scheduler,
    idempotency: new RedisIdempotencyCache(redis, config.REDIS_PREFIX),
    log: scopedLogger(log),
    metrics,
    holdTtlSeconds: config.HOLD_TTL_SECONDS,
  };
  const readiness: ReadinessCheck[] = [
    { name: 'postgres', check: () => pool.query('select 1') },
    { name: 'redis', check: () => redis.ping() },
    { name: 'queue', check: () => scheduler.depth() },
  ];
  return {
    config,
    log,
    ctx,
    catalog: new ProductCatalog(),
    pool,
    redis,
    queueRedis,
    redisUrl,
    scheduler,
    metrics,
    readiness,
    async close() {
      // Reverse order of creation: the queue before its connection, Redis before PostgreSQL.
      await scheduler.close().catch(() => {});
      queueRedis.disconnect();
      redis.disconnect();
      await pool.end();
    },
  };
}
