import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertProduct } from '../../src/adapters/postgres/products.ts';
import { startCli } from '../helpers/cli.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';
import { freePorts } from '../helpers/free-port.ts';
import { RedisServer } from '../helpers/redis-server.ts';
import { eventually } from '../helpers/service.ts';

/**
 * The near cache (DESIGN.md: "a near cache may answer, never decide") across two API processes
 * sharing one Redis, which the test owns so it can restart it. Entries never age out here
 * (NEAR_CACHE_MAX_AGE_MS at its maximum, the reconciler and sweeper idle), so only the
 * invalidation through Redis can make a process see a change, and only dropping everything when
 * that channel drops can keep it from answering what it knew before a Redis restart.
 */
let PORTS: [number, number];
/** The test's own client of the private Redis, made once its port is known. */
let redis: Redis;

const api = (i: 0 | 1) => `http://127.0.0.1:${PORTS[i]}`;
async function call(i: 0 | 1, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const res = await request(api(i) + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as any };
}
const stockSeenBy = async (i: 0 | 1, productId: number) =>
  (await call(i, 'GET', `/api/products/${productId}`)).body.available_stock;

describe('near cache of stock in every API process', () => {
  const server = new RedisServer();
  const procs: ReturnType<typeof startCli>[] = [];
  let pool: pg.Pool;
  beforeAll(async () => {
    await server.start();
    redis = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    PORTS = (await freePorts(2)) as [number, number];
    pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    const prefix = `nc${randomBytes(4).toString('hex')}:`;
    for (const port of PORTS) {
      procs.push(
        startCli(['serve'], {
          DATABASE_URL: TEST_DATABASE_URL,
          REDIS_URL: server.url,
          REDIS_PREFIX: prefix,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
          RUN_WORKER: 'false',
          NEAR_CACHE_MAX_AGE_MS: '60000',
          RECONCILE_INTERVAL_MS: '600000',
          SWEEP_INTERVAL_MS: '600000',
        }),
      );
    }
    for (const i of [0, 1] as const) {
      await eventually(
        () => call(i, 'GET', '/health/ready').catch(() => ({ status: 0, body: null })),
        (r) => r.status === 200,
        30_000,
        100,
      );
    }
    await redis.connect();
  });
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    redis?.disconnect();
    await pool?.end();
    await server.stop();
  });

  it('answers reads and sold-out refusals from memory, sees every change made through the other process, and drops what it knew when Redis restarts', async () => {
    const productId = (await insertProduct(pool, { name: 'near cache', price: 1, stock: 10 })).id;
    expect(await stockSeenBy(1, productId)).toBe(10);

    // A change made through process 0 reaches process 1 through Redis, not by asking again.
    const first = await call(0, 'POST', '/api/holds', { product_id: productId, quantity: 3 });
    expect(first.status).toBe(201);
    const started = Date.now();
    await eventually(
      () => stockSeenBy(1, productId),
      (v) => v === 7,
      2_000,
      5,
    );
    expect(Date.now() - started).toBeLessThan(2_000);

    // Sold out through process 0; process 1 refuses from memory: no Redis read for 50 refusals.
    expect((await call(0, 'POST', '/api/holds', { product_id: productId, quantity: 7 })).status).toBe(201);
    await eventually(
      () => stockSeenBy(1, productId),
      (v) => v === 0,
      2_000,
      5,
    );
    const gets = async () => Number(/cmdstat_get:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    const mgets = async () => Number(/cmdstat_mget:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    const [getsBefore, mgetsBefore] = [await gets(), await mgets()];
    for (let i = 0; i < 50; i++) {
      const refused = await call(1, 'POST', '/api/holds', { product_id: productId, quantity: 1 });
      expect(refused.status).toBe(409);
      expect(refused.body.available).toBe(0);
    }
    expect((await gets()) - getsBefore).toBe(0);
    expect((await mgets()) - mgetsBefore).toBe(0);

    // Redis goes away: the stock comes back in PostgreSQL (release through process 0), and
    // process 1 must not answer the 0 it knew.
    redis.disconnect();
    await server.stop();
    const released = await call(0, 'DELETE', `/api/holds/${first.body.hold_id}`);
    expect(released.status).toBe(200);
    expect(await stockSeenBy(1, productId)).toBe(3);
    const hold = await call(1, 'POST', '/api/holds', { product_id: productId, quantity: 1 });
    expect(hold.status).toBe(201);

    // Redis restarts empty: both processes read the truth again and subscribe again.
    await server.start();
    await redis.connect();
    await eventually(
      () => stockSeenBy(1, productId),
      (v) => v === 2,
      10_000,
    );
    expect(await stockSeenBy(0, productId)).toBe(2);
    // Once both subscriptions are back, a change through process 1 reaches process 0 again.
    await eventually(subscribers, (n) => n === 2, 10_000);
    expect((await call(1, 'POST', '/api/holds', { product_id: productId, quantity: 2 })).status).toBe(201);
    await eventually(
      () => stockSeenBy(0, productId),
      (v) => v === 0,
      2_000,
      5,
    );
    await eventually(
      () => stockSeenBy(1, productId),
      (v) => v === 0,
      2_000,
      5,
    );
  });
});

/** How many connections are subscribed to any channel of the test's Redis (one per API process). */
async function subscribers(): Promise<number> {
  const channels = (await redis.pubsub('CHANNELS')) as string[];
  if (channels.length === 0) return 0;
  const counts = (await redis.pubsub('NUMSUB', ...channels)) as (string | number)[];
  return counts.filter((_, i) => i % 2 === 1).reduce<number>((s, n) => s + Number(n), 0);
}
