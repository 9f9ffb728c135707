import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '../../config.ts';
import { OutageLog, type OutageLogger } from '../outage-log.ts';

/** A connection to one Redis server or to a Redis Cluster: every adapter takes either. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one server by URL, or the seed nodes of a Redis Cluster. */
export type RedisTarget = { kind: 'server'; url: string } | { kind: 'cluster'; nodes: { host: string; port: number }[] };

/**
 * The one place that decides single server or cluster: REDIS_CLUSTER_NODES wins over REDIS_URL;
 * null when neither is set (in-process stand-ins then replace Redis).
 */
export function redisTarget(config: Pick<Config, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>): RedisTarget | null {
  if (config.REDIS_CLUSTER_NODES) {
    const nodes = config.REDIS_CLUSTER_NODES.split(',').map((seed) => {
      const at = seed.lastIndexOf(':');
      return { host: seed.slice(0, at), port: Number(seed.slice(at + 1)) };
    });
    return { kind: 'cluster', nodes };
  }
  return config.REDIS_URL ? { kind: 'server', url: config.REDIS_URL } : null;
}

/**
 * The BullMQ key prefix. On a cluster it is a hash tag, as BullMQ requires there: its scripts touch
 * several keys of a queue at once, so they must all live in one slot.
 */
export function queuePrefix(target: RedisTarget, redisPrefix: string): string {
  return target.kind === 'cluster' ? `{${redisPrefix}bull}` : `${redisPrefix}bull`;
}

/** Request-path behaviour: fail at once while Redis is unreachable, so a request falls back on PostgreSQL. */
const FAIL_FAST: RedisOptions = { maxRetriesPerRequest: 1, commandTimeout: 2_000 };

/**
 * A connection for the request path: commands fail at once while Redis (or the node owning a key's
 * slot) is unreachable instead of queueing, so a request falls back to PostgreSQL rather than hanging.
 */
export function createRedis(target: string, extra?: RedisOptions, outage?: OutageReport): Redis;
export function createRedis(target: RedisTarget, extra?: RedisOptions, outage?: OutageReport): RedisClient;
export function createRedis(target: RedisTarget | string, extra: RedisOptions = {}, outage?: OutageReport): RedisClient {
  const where: RedisTarget = typeof target === 'string' ? { kind: 'server', url: target } : target;
  if (where.kind === 'cluster') {
    const { enableOfflineQueue, enableAutoPipelining, ...nodeOptions } = extra;
    return reported(
      new Cluster(where.nodes, {
        ...CLUSTER_FAILOVER,
        enableOfflineQueue: enableOfflineQueue ?? false,
        enableAutoPipelining: enableAutoPipelining ?? false,
        redisOptions: { ...FAIL_FAST, ...nodeOptions },
      }),
      outage,
    );
  }
  return reported(new Redis(where.url, { enableOfflineQueue: false, lazyConnect: false, ...FAIL_FAST, ...extra }), outage);
}

/**
 * A connection for a pub/sub subscriber: it reconnects by itself after Redis comes back, and its
 * owner subscribes again on each 'ready' (so it knows when the subscription is live). On a
 * cluster, a message published on any node reaches a subscriber on any node.
 */
export function createSubscriberRedis(target: RedisTarget, outage?: OutageReport): RedisClient {
  return createRedis(target, { autoResubscribe: false, maxRetriesPerRequest: null }, outage);
}

/**
 * A connection for BullMQ's worker, which needs `maxRetriesPerRequest: null` for its blocking commands.
 * BullMQ listens to its errors and re-emits them on the worker, which reports them
 * (adapters/expiry/bullmq-worker.ts); the listener here only covers the moment before it does.
 */
export function createQueueRedis(target: string): Redis;
export function createQueueRedis(target: RedisTarget): RedisClient;
export function createQueueRedis(target: RedisTarget | string): RedisClient {
  const where: RedisTarget = typeof target === 'string' ? { kind: 'server', url: target } : target;
  if (where.kind === 'cluster') {
    return reported(new Cluster(where.nodes, { ...CLUSTER_FAILOVER, redisOptions: { maxRetriesPerRequest: null } }));
  }
  return reported(new Redis(where.url, { maxRetriesPerRequest: null }));
}

/**
 * After a master dies its slots are unserved until a replica is promoted (cluster-node-timeout
 * plus an election): retry redirections briefly and refresh the slot map often, so the client
 * follows the new master within a second of the promotion.
 */
const CLUSTER_FAILOVER: ClusterOptions = {
  retryDelayOnFailover: 200,
  retryDelayOnClusterDown: 200,
  slotsRefreshTimeout: 2_000,
  slotsRefreshInterval: 2_000,
  // Keep trying to reach the seeds for ever: a cluster restarted from nothing comes back on them.
  clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
};

/** Where a connection reports an outage, and the name it gives itself there. */
export interface OutageReport {
  log: OutageLogger;
  name: string;
}

/**
 * Without a listener ioredis prints every connection error to stderr. With `outage`, the first error
 * of an outage and the recovery ('ready' again) are logged; the commands that fail in between
 * report themselves. Without it (a one-off command's connection) the failing command says it all.
 */
function reported<T extends RedisClient>(client: T, outage?: OutageReport): T {
  const log = outage ? new OutageLog(outage.log, outage.name) : null;
  client.on('error', (err: Error) => log?.failed(err));
  client.on('ready', () => log?.recovered());
  return client;
}

/**
 * Resolves once the connection is ready. A short-lived command (the CLI) must wait for it: with
 * the offline queue off, a command sent while still connecting fails at once.
 */
export function redisReady(redis: RedisClient, timeoutMs = 5_000): Promise<void> {
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
