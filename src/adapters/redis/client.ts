import { Redis, type RedisOptions } from 'ioredis';

/**
 * A connection for the request path: commands fail at once while Redis is unreachable instead of
 * queueing, so a request falls back to PostgreSQL rather than hanging.
 */
export function createRedis(url: string, extra: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    lazyConnect: false,
    ...extra,
  });
  // Connection errors are reported by the commands that fail; without a listener ioredis logs them.
  redis.on('error', () => {});
  return redis;
}

/** A connection for BullMQ, which needs `maxRetriesPerRequest: null` for its blocking commands. */
export function createQueueRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  return redis;
}

/**
 * Resolves once the connection is ready. A short-lived command (the CLI) must wait for it: with
 * the offline queue off, a command sent while still connecting fails at once.
 */
export function redisReady(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}
