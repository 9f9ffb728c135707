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
