import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countBy, TestService } from '../helpers/service.ts';

describe('payment webhooks', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start();
  });
  afterAll(() => svc.close());

  const webhook = (order_id: number, payment_status: string, idempotency_key: string) =>
    svc.post('/api/payments/webhook', { order_id, payment_status, idempotency_key });

  async function orderFor(productId: number, quantity = 1): Promise<number> {
    const holdId = await svc.placeHold(productId, quantity);
    const res = await svc.post('/api/orders', { hold_id: holdId });
    expect(res.status).toBe(201);
    return res.body.order_id as number;
  }

  async function movements(productId: number, reason: string): Promise<number> {
    const { rows } = await svc.rt.pool.query(
      'select count(*)::int as n from stock_movements where product_id = $1 and reason = $2',
      [productId, reason],
    );
    return rows[0].n;
  }

  it('50 concurrent "failed" webhooks with one key: the order fails once, its stock comes back once', async () => {
    const productId = await svc.createProduct(10);
    const orderId = await orderFor(productId, 3);
    expect(await svc.dbAvailable(productId)).toBe(7);

    const results = await Promise.all(Array.from({ length: 50 }, () => webhook(orderId, 'failed', `fail-${orderId}`)));
    expect(countBy(results, (r) => r.status)).toEqual({ 200: 50 });
    expect(results.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(49);
    for (const r of results) expect(r.body).toEqual(results[0]!.body);
    expect(results[0]!.body.payment_status).toBe('failed');

    expect(await svc.dbAvailable(productId)).toBe(10);
    expect(await svc.mirrorAvailable(productId)).toBe(10);
    expect(await movements(productId, 'payment_failed')).toBe(1);
    await svc.expectInvariants([productId]);
  });

  it('50 concurrent "failed" webhooks with 50 different keys: still failed once, stock back once', async () => {
    const productId = await svc.createProduct(10);
    const orderId = await orderFor(productId, 4);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => webhook(orderId, 'failed', `fail-${orderId}-${i}`)));
    expect(countBy(results, (r) => r.status)).toEqual({ 200: 50 });
    expect(results.every((r) => r.body.payment_status === 'failed')).toBe(true);
    expect(await svc.dbAvailable(productId)).toBe(10);
    expect(await movements(productId, 'payment_failed')).toBe(1);
    const { rows } = await svc.rt.pool.query(
      'select outcome, count(*)::int as n from payment_events where order_id = $1 group by outcome order by outcome',
      [orderId],
    );
    expect(rows).toEqual([
      { outcome: 'applied', n: 1 },
      { outcome: 'ignored', n: 49 },
    ]);
    await svc.expectInvariants([productId]);
  });

  it('paid sells the stock for good; a later "failed" with another key changes nothing', async () => {
    const productId = await svc.createProduct(5);
    const orderId = await orderFor(productId, 2);
    const paid = await webhook(orderId, 'paid', `pay-${orderId}`);
    expect(paid.status).toBe(200);
    expect(paid.body.payment_status).toBe('paid');
    const late = await webhook(orderId, 'failed', `late-${orderId}`);
    expect(late.status).toBe(200);
    expect(late.body.payment_status).toBe('paid');
    expect(late.headers['idempotent-replayed']).toBeUndefined();
    expect(await svc.dbAvailable(productId)).toBe(3);
    expect((await svc.get(`/api/orders/${orderId}`)).body.payment_status).toBe('paid');
    await svc.expectInvariants([productId]);
  });

  it('the same key with another payload is 422 and changes nothing', async () => {
    const productId = await svc.createProduct(5);
    const orderId = await orderFor(productId, 1);
    expect((await webhook(orderId, 'paid', `k-${orderId}`)).status).toBe(200);
    const reused = await webhook(orderId, 'failed', `k-${orderId}`);
    expect(reused.status).toBe(422);
    expect(reused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reused.body.type).toMatch(/\/idempotency-key-reused$/);
    expect((await svc.get(`/api/orders/${orderId}`)).body.payment_status).toBe('paid');
  });

  it('a replay after Redis forgot the key is still answered from the database, changing nothing', async () => {
    const productId = await svc.createProduct(5);
    const orderId = await orderFor(productId, 2);
    const first = await webhook(orderId, 'failed', `db-${orderId}`);
    expect(first.status).toBe(200);
    await svc.redis.del(`${svc.config.REDIS_PREFIX}idempotency:webhook:db-${orderId}`);
    const again = await webhook(orderId, 'failed', `db-${orderId}`);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await movements(productId, 'payment_failed')).toBe(1);
    expect((await webhook(orderId, 'paid', `db-${orderId}`)).status).toBe(422);
    await svc.expectInvariants([productId]);
  });

  it('an event for an order that does not exist yet is kept (202) and applied when the order is created', async () => {
    const productId = await svc.createProduct(5);
    const { rows } = await svc.rt.pool.query(`select nextval(pg_get_serial_sequence('orders', 'id'))::int as next`);
    const nextOrderId = rows[0].next + 1;
    const early = await webhook(nextOrderId, 'failed', `early-${nextOrderId}`);
    expect(early.status).toBe(202);
    expect(early.body).toMatchObject({ order_id: nextOrderId, outcome: 'pending' });
    const replay = await webhook(nextOrderId, 'failed', `early-${nextOrderId}`);
    expect(replay.status).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');

    const holdId = await svc.placeHold(productId, 2);
    const order = await svc.post('/api/orders', { hold_id: holdId });
    expect(order.status).toBe(201);
    expect(order.body.order_id).toBe(nextOrderId);
    expect(order.body.payment_status).toBe('failed');
    expect(await svc.dbAvailable(productId)).toBe(5);
    expect(await svc.mirrorAvailable(productId)).toBe(5);

    const after = await webhook(nextOrderId, 'failed', `early-${nextOrderId}`);
    expect(after.status).toBe(200);
    expect(after.body.payment_status).toBe('failed');
    await svc.expectInvariants([productId]);
  });

  it('rejects bad webhook bodies with 400 problems and records nothing', async () => {
    const before = await svc.rt.pool.query('select count(*)::int as n from payment_events');
    const bad: unknown[] = [
      {},
      { order_id: 1, payment_status: 'refunded', idempotency_key: 'x' },
      { order_id: '1', payment_status: 'paid', idempotency_key: 'x' },
      { order_id: 1, payment_status: 'paid', idempotency_key: '' },
      { order_id: 1, payment_status: 'paid' },
      { order_id: -1, payment_status: 'paid', idempotency_key: 'x' },
      { order_id: 1.5, payment_status: 'paid', idempotency_key: 'x' },
      { order_id: 1, payment_status: 'paid', idempotency_key: 'x'.repeat(256) },
    ];
    for (const body of bad) {
      const res = await svc.post('/api/payments/webhook', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const after = await svc.rt.pool.query('select count(*)::int as n from payment_events');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });
});
