import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertProduct } from '../../src/adapters/postgres/products.ts';
import { stockKey } from '../../src/adapters/redis/stock-mirror.ts';
import { startCli } from '../helpers/cli.ts';
import { createOwnDatabase, type OwnDatabase } from '../helpers/database.ts';
import { TEST_REDIS_URL } from '../helpers/env.ts';
import { freePorts } from '../helpers/free-port.ts';
import { parseMetrics } from '../helpers/metrics.ts';
import { eventually } from '../helpers/service.ts';

/**
 * I9 under a real race: 240 orders with a one-second payment deadline, each sent its webhook at its
 * deadline (from 400 ms before it to 40 ms after, by this machine's clock, which is the database's), through two
 * API processes, while a worker process runs the deadline jobs and all three run the sweeper. Every
 * order must end one way: paid with its stock sold, or cancelled with its stock returned (owing a
 * refund exactly when a paid event arrived), or failed; and the books must add up to the unit.
 */
const ORDERS = 240;
const STOCK = 1_000;

type Fate = 'paid' | 'failed' | 'none';
const fateOf = (i: number): Fate => (i % 10 < 8 ? 'paid' : i % 10 === 8 ? 'failed' : 'none');

describe('a payment racing its order deadline, across two API processes and a worker', () => {
  const procs: ReturnType<typeof startCli>[] = [];
  const prefix = `race${randomBytes(4).toString('hex')}:`;
  let db: OwnDatabase;
  let pool: pg.Pool;
  let redis: Redis;
  let ports: number[];
  const url = (port: number) => `http://127.0.0.1:${port}`;

  async function call(port: number, method: 'GET' | 'POST', path: string, body?: unknown) {
    const res = await request(url(port) + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: (res.headers['content-type'] ?? '').includes('json') ? JSON.parse(text) : text };
  }

  beforeAll(async () => {
    db = await createOwnDatabase('race');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    redis = new Redis(TEST_REDIS_URL);
    ports = await freePorts(3);
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ORDER_PAYMENT_TTL_SECONDS: '1',
      SWEEP_INTERVAL_MS: '200',
      // The mirror must be right because every cancellation wrote it, not because a reconciler repaired it.
      RECONCILE_INTERVAL_MS: '600000',
      DATABASE_POOL_SIZE: '10',
    };
    for (const port of ports.slice(0, 2)) procs.push(startCli(['serve'], { ...env, PORT: String(port), RUN_WORKER: 'false' }));
    procs.push(startCli(['worker'], { ...env, METRICS_PORT: String(ports[2]) }));
    for (const port of ports) {
      await eventually(
        () => call(port, 'GET', '/health/ready').catch(() => ({ status: 0, body: null })),
        (r) => r.status === 200,
        30_000,
        100,
      );
    }
  });
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await pool?.end();
    await db?.drop();
  });

  it('240 races: each order ends paid (stock sold) or cancelled (stock back, refund_due iff paid arrived) or failed; the books add up', async ({
    annotate,
  }) => {
    const products: number[] = [];
    for (let i = 0; i < 3; i++) products.push((await insertProduct(pool, { name: `race ${i}`, price: 5, stock: STOCK })).id);
    const linesOf = (i: number) =>
      i % 3 === 0
        ? [
            { product_id: products[0]!, quantity: 1 },
            { product_id: products[1]!, quantity: 2 },
          ]
        : [{ product_id: products[i % 3]!, quantity: 1 + (i % 2) }];

    const [api0, api1] = [ports[0]!, ports[1]!];
    const races: Promise<{ i: number; orderId: number; answer: { status: number; body: any } | null }>[] = [];
    let next = 0;
    // 12 buyers at a time; each webhook waits for its own order's deadline, so they spread out in time.
    const buyer = async () => {
      for (let i = next++; i < ORDERS; i = next++) {
        const hold = await call(i % 2 ? api1 : api0, 'POST', '/api/holds', { items: linesOf(i) });
        expect(hold.status, JSON.stringify(hold.body)).toBe(201);
        const order = await call(i % 2 ? api0 : api1, 'POST', '/api/orders', { hold_id: hold.body.hold_id });
        expect(order.status, JSON.stringify(order.body)).toBe(201);
        const orderId = order.body.order_id as number;
        const fate = fateOf(i);
        if (fate === 'none') {
          races.push(Promise.resolve({ i, orderId, answer: null }));
          continue;
        }
        // From 400 ms before the deadline to 40 ms after: the request itself takes some of that under load.
        const jitterMs = ((i * 37) % 441) - 400;
        const at = Date.parse(order.body.payment_due_at as string) + jitterMs;
        races.push(
          new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now()))).then(async () => ({
            i,
            orderId,
            answer: await call(i % 2 ? api0 : api1, 'POST', '/api/payments/webhook', {
              order_id: orderId,
              payment_status: fate,
              idempotency_key: `race-${orderId}`,
            }),
          })),
        );
      }
    };
    await Promise.all(Array.from({ length: 12 }, buyer));
    const results = await Promise.all(races);
    expect(results).toHaveLength(ORDERS);

    // Every deadline has passed: nothing may stay created once the jobs and sweepers are through.
    const ids = results.map((r) => r.orderId);
    await eventually(
      async () =>
        (
          await pool.query(`select count(*)::int as n from orders where id = any($1::bigint[]) and payment_status = 'created'`, [
            ids,
          ])
        ).rows[0].n as number,
      (n) => n === 0,
      15_000,
      100,
    );
    const { rows: orders } = await pool.query(
      `select id::int, payment_status, refund_due, cancelled_by,
              (select count(*)::int from order_lines l where l.order_id = o.id) as lines,
              (select count(*)::int from stock_movements m where m.order_id = o.id and m.reason = 'order_cancelled') as cancelled_moves,
              (select count(*)::int from stock_movements m where m.order_id = o.id and m.reason = 'payment_failed') as failed_moves
         from orders o where id = any($1::bigint[])`,
      [ids],
    );
    const byId = new Map(orders.map((o) => [o.id as number, o]));
    const outcomes: Record<string, number> = {};
    const soldUnits = new Map<number, number>(products.map((p) => [p, 0]));
    for (const r of results) {
      const o = byId.get(r.orderId)!;
      const fate = fateOf(r.i);
      const outcome = `${fate} -> ${o.payment_status}${o.refund_due ? ' (refund due)' : ''}`;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (r.answer) {
        expect(r.answer.status, JSON.stringify(r.answer.body)).toBe(200);
        // What the webhook answered is how the order ended: never one thing answered and another kept.
        expect(r.answer.body.payment_status, `order ${r.orderId}`).toBe(o.payment_status);
        expect(r.answer.body.refund_due, `order ${r.orderId}`).toBe(o.refund_due);
      }
      const allowed = { paid: ['paid', 'cancelled'], failed: ['failed', 'cancelled'], none: ['cancelled'] }[fate];
      expect(allowed, `order ${r.orderId}`).toContain(o.payment_status);
      // A refund is due exactly when a paid event arrived for an order that ended cancelled.
      expect(o.refund_due, `order ${r.orderId}`).toBe(fate === 'paid' && o.payment_status === 'cancelled');
      // Stock came back exactly once for every order that did not end paid, and never for one that did.
      expect(o.cancelled_moves, `order ${r.orderId}`).toBe(o.payment_status === 'cancelled' ? o.lines : 0);
      expect(o.failed_moves, `order ${r.orderId}`).toBe(o.payment_status === 'failed' ? o.lines : 0);
      expect(o.cancelled_by === null, `order ${r.orderId}`).toBe(o.payment_status !== 'cancelled');
      if (o.payment_status === 'paid')
        for (const l of linesOf(r.i)) soldUnits.set(l.product_id, soldUnits.get(l.product_id)! + l.quantity);
    }
    await annotate(`order deadline races: ${JSON.stringify(outcomes)}`);
    // Both ends of the race happened, or it was no race.
    expect(outcomes['paid -> paid'] ?? 0).toBeGreaterThan(0);
    expect(outcomes['paid -> cancelled (refund due)'] ?? 0).toBeGreaterThan(0);

    // The books: available = stock - sold; the movements add up to it; nothing held or ordered unpaid;
    // the mirror equals the database without any reconciler having run since the start.
    for (const p of products) {
      const { rows } = await pool.query(
        `select available, (select sum(delta)::int from stock_movements where product_id = $1) as moved from products where id = $1`,
        [p],
      );
      expect(rows[0].available, `product ${p}`).toBe(STOCK - soldUnits.get(p)!);
      expect(rows[0].moved, `product ${p}`).toBe(rows[0].available);
      expect(Number(await redis.get(stockKey(prefix, p))), `mirror of product ${p}`).toBe(rows[0].available);
    }

    // Every cancellation and every late payment counted once, whichever process did it.
    const scrape = async (port: number) => parseMetrics((await call(port, 'GET', '/metrics')).body as string);
    const metrics = await Promise.all(ports.map(scrape));
    const total = (name: string) =>
      metrics.reduce((n, m) => n + [...m].filter(([k]) => k.startsWith(name)).reduce((s, [, v]) => s + v, 0), 0);
    const cancelled = orders.filter((o) => o.payment_status === 'cancelled').length;
    expect(total('flashsale_orders_cancelled_total')).toBe(cancelled);
    expect(total('flashsale_late_payments_total')).toBe(orders.filter((o) => o.refund_due).length);
  });
});
