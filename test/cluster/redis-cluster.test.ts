import { randomBytes, randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullMqExpiryScheduler, EXPIRY_QUEUE, type ExpiryJobData } from '../../src/adapters/expiry/bullmq-scheduler.ts';
import { createQueueRedis, createRedis, queuePrefix, redisReady, redisTarget } from '../../src/adapters/redis/client.ts';
import { RedisWebhookIdempotencyCache } from '../../src/adapters/redis/webhook-idempotency-cache.ts';
import { RedisStockMirror, stockKey } from '../../src/adapters/redis/stock-mirror.ts';
import { loadConfig } from '../../src/config.ts';
import { expirySchedulerContract } from '../contract/expiry-scheduler.contract.ts';
import { webhookIdempotencyCacheContract } from '../contract/webhook-idempotency-cache.contract.ts';
import { stockMirrorContract } from '../contract/stock-mirror.contract.ts';
import { runCli } from '../helpers/cli.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';
import { RedisCluster } from '../helpers/redis-cluster.ts';
import { countBy, eventually, TestService } from '../helpers/service.ts';
import { newWebhookSecret, signWebhook } from '../helpers/webhook-signing.ts';

/**
 * Every Redis use of the service on a real Redis Cluster of 3 masters and 3 replicas: the adapters'
 * contracts, then the whole service with REDIS_CLUSTER_NODES, then the CLI.
 */
const redisCluster = new RedisCluster();
let client: Cluster;
const target = () => redisTarget(loadConfig({ REDIS_CLUSTER_NODES: redisCluster.seeds }))!;
const freshPrefix = () => `c${randomBytes(4).toString('hex')}:`;

beforeAll(async () => {
  await redisCluster.start();
  client = await redisCluster.client();
}, 60_000);
afterAll(async () => {
  client?.disconnect();
  await redisCluster.stop();
});

describe('the Redis adapters keep their contracts on a cluster', () => {
  describe('StockMirror', () => {
    stockMirrorContract(async () => {
      const redis = createRedis(target());
      await redisReady(redis);
      return new RedisStockMirror(redis, freshPrefix());
    });
  });
  describe('WebhookIdempotencyCache', () => {
    webhookIdempotencyCacheContract(async () => {
      const redis = createRedis(target());
      await redisReady(redis);
      return new RedisWebhookIdempotencyCache(redis, freshPrefix());
    });
  });
  describe('BullMQ ExpiryScheduler, under a hash-tagged prefix', () => {
    expirySchedulerContract(async () => {
      const prefix = queuePrefix(target(), freshPrefix());
      const queueRedis = createRedis(target());
      await redisReady(queueRedis);
      const scheduler = new BullMqExpiryScheduler(queueRedis, prefix);
      const workers: { close(): Promise<unknown> }[] = [];
      return {
        scheduler,
        consume: async (onJob) => {
          const worker = new Worker<ExpiryJobData>(EXPIRY_QUEUE, async (job) => onJob(job.id!), {
            connection: createQueueRedis(target()),
            prefix,
          });
          worker.on('error', () => {});
          await worker.waitUntilReady();
          workers.push(worker);
          return { close: () => worker.close() };
        },
        close: async () => {
          for (const w of workers) await w.close();
          await scheduler.queue.obliterate({ force: true });
          await scheduler.close();
          queueRedis.disconnect();
        },
      };
    });
  });
});

describe('the service with REDIS_CLUSTER_NODES', () => {
  const secret = newWebhookSecret();
  let a: TestService;
  let b: TestService;
  beforeAll(async () => {
    const env = { ...redisCluster.env, HOLD_RATE_LIMIT_MAX: '1000', HOLD_RATE_LIMIT_WINDOW_SECONDS: '60' };
    a = await TestService.start({ webhookSecret: secret, env });
    // A second API process on the same cluster and namespace.
    b = await TestService.start({ worker: 'none', webhookSecret: secret, env: { ...env, REDIS_PREFIX: a.config.REDIS_PREFIX } });
    await Promise.all([redisReady(a.redis, 10_000), redisReady(b.redis, 10_000)]);
    expect(a.rt.redisTarget?.kind).toBe('cluster');
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('500 buyers over two processes, 50 units: exactly 50 holds, the mirror on the cluster equals the database', async () => {
    const productId = await a.createProduct(50);
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => (i % 2 ? b : a).post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 50, 409: 450 });
    expect(await a.dbAvailable(productId)).toBe(0);
    expect(await client.get(stockKey(a.config.REDIS_PREFIX, productId))).toBe('0');
    await a.expectInvariants([productId]);
  });

  it('a hold expires through its BullMQ job on the cluster, every queue key in one slot', async () => {
    // The sweeper runs once a minute here, so its alarm is not set before the hold falls due, and
    // the database is its own, out of reach of the other services' sweeps and alarms: only the job
    // can expire the hold this soon.
    const short = await TestService.start({
      holdTtlSeconds: 1,
      sweepIntervalMs: 60_000,
      env: redisCluster.env,
      ownDatabase: true,
    });
    try {
      await redisReady(short.redis, 10_000);
      const productId = await short.createProduct(5);
      const holdId = await short.placeHold(productId, 2);
      const row = await eventually(
        async () => (await short.rt.pool.query('select status, ended_by from holds where id = $1', [holdId])).rows[0],
        (h) => h.status === 'expired',
        8_000,
      );
      expect(row).toEqual({ status: 'expired', ended_by: 'job' });
      expect(await short.mirrorAvailable(productId)).toBe(5);
      const prefix = queuePrefix(short.rt.redisTarget!, short.config.REDIS_PREFIX);
      expect(prefix).toBe(`{${short.config.REDIS_PREFIX}bull}`);
      const keys = (await Promise.all(client.nodes('master').map((n) => n.keys(`${prefix}*`)))).flat();
      expect(keys.length).toBeGreaterThan(0);
      const slots = new Set(await Promise.all(keys.map((k) => client.cluster('KEYSLOT', k))));
      expect(slots.size).toBe(1);
    } finally {
      await short.close();
    }
  });

  it('Idempotency-Key, webhook keys, the replay guard and the rate limit are shared by both processes', async () => {
    const productId = await a.createProduct(10);
    const key = randomUUID();
    const first = await a.post('/api/holds', { product_id: productId, quantity: 2 }, { 'idempotency-key': key });
    const retry = await b.post('/api/holds', { product_id: productId, quantity: 2 }, { 'idempotency-key': key });
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.hold_id).toBe(first.body.hold_id);

    const order = await a.post('/api/orders', { hold_id: first.body.hold_id });
    expect(order.status).toBe(201);
    const event = JSON.stringify({ order_id: order.body.order_id, payment_status: 'paid', idempotency_key: randomUUID() });
    const headers = signWebhook(secret, event);
    expect((await a.post('/api/payments/webhook', event, headers)).status).toBe(200);
    // The same signed message delivered again to the other process: refused by the shared replay guard.
    expect((await b.post('/api/payments/webhook', event, headers)).status).toBe(401);
    // A new delivery of the same event: answered from the shared webhook key store.
    const again = await b.post('/api/payments/webhook', event, signWebhook(secret, event));
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await a.dbAvailable(productId)).toBe(8);

    const counter = (await Promise.all(client.nodes('master').map((n) => n.keys(`${a.config.REDIS_PREFIX}rate:*`)))).flat();
    expect(counter.length).toBeGreaterThan(0);
  });

  it('a mirror wiped from every master is rebuilt by the reconciler', async () => {
    const productId = await a.createProduct(7);
    await a.placeHold(productId, 3);
    await Promise.all(client.nodes('master').map((n) => n.flushall()));
    await eventually(
      () => a.mirrorAvailable(productId),
      (v) => v === 4,
      5_000,
    );
    await a.expectInvariants([productId]);
  });

  it('flashsale reconcile and check run against the cluster', async () => {
    const productId = await a.createProduct(9);
    await a.placeHold(productId, 1);
    await client.del(stockKey(a.config.REDIS_PREFIX, productId));
    const env = { DATABASE_URL: TEST_DATABASE_URL, ...redisCluster.env, REDIS_PREFIX: a.config.REDIS_PREFIX, LOG_LEVEL: 'warn' };
    const reconciled = await runCli(['reconcile'], env);
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(reconciled.stdout).toMatch(/Reconciled \d+ product\(s\)/);
    expect(await client.get(stockKey(a.config.REDIS_PREFIX, productId))).toBe('8');
    const checked = await runCli(['check'], env);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(/All invariants hold/);
  });
});
