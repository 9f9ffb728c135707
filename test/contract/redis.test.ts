import { randomBytes } from 'node:crypto';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, describe } from 'vitest';
import { BullMqExpiryScheduler, EXPIRY_QUEUE, type ExpiryJobData } from '../../src/adapters/expiry/bullmq-scheduler.ts';
import { createQueueRedis, createRedis } from '../../src/adapters/redis/client.ts';
import { RedisWebhookIdempotencyCache } from '../../src/adapters/redis/webhook-idempotency-cache.ts';
import { RedisStockMirror } from '../../src/adapters/redis/stock-mirror.ts';
import { RedisSalePulseStore } from '../../src/adapters/redis/sale-pulse-store.ts';
import { TEST_REDIS_URL } from '../helpers/env.ts';
import { expirySchedulerContract } from './expiry-scheduler.contract.ts';
import { webhookIdempotencyCacheContract } from './webhook-idempotency-cache.contract.ts';
import { stockMirrorContract } from './stock-mirror.contract.ts';
import { salePulseStoreContract } from './sale-pulse-store.contract.ts';

// Each test gets its own random key prefix, deleted afterwards.
const redis = createRedis(TEST_REDIS_URL, { enableOfflineQueue: true });
const prefixes: string[] = [];
const freshPrefix = (): string => {
  const prefix = `contract${randomBytes(4).toString('hex')}:`;
  prefixes.push(prefix);
  return prefix;
};

async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

afterEach(async () => {
  for (const prefix of prefixes.splice(0)) {
    await deleteKeys(redis, prefix);
    // The mirror's version keys begin with their own name, the prefix inside a hash tag.
    await deleteKeys(redis, `stockver:{${prefix}`);
  }
});
afterAll(() => {
  redis.disconnect();
});

describe('Redis StockMirror', () => {
  stockMirrorContract(async () => new RedisStockMirror(redis, freshPrefix()));
});

describe('Redis WebhookIdempotencyCache', () => {
  webhookIdempotencyCacheContract(async () => new RedisWebhookIdempotencyCache(redis, freshPrefix()));
});

describe('Redis SalePulseStore', () => {
  salePulseStoreContract(async () => new RedisSalePulseStore(redis, freshPrefix()));
});

describe('BullMQ ExpiryScheduler', () => {
  expirySchedulerContract(async () => {
    const prefix = `${freshPrefix()}bull`;
    const queueRedis = createQueueRedis(TEST_REDIS_URL);
    const scheduler = new BullMqExpiryScheduler(queueRedis, prefix);
    const workerConnections: Redis[] = [];
    return {
      scheduler,
      consume: async (onJob) => {
        const connection = createQueueRedis(TEST_REDIS_URL);
        workerConnections.push(connection);
        const worker = new Worker<ExpiryJobData>(EXPIRY_QUEUE, async (job) => onJob(job.id!), { connection, prefix });
        worker.on('error', () => {});
        await worker.waitUntilReady();
        return { close: () => worker.close() };
      },
      close: async () => {
        await scheduler.queue.obliterate({ force: true });
        await scheduler.close();
        queueRedis.disconnect();
        for (const c of workerConnections) c.disconnect();
      },
    };
  });
});
