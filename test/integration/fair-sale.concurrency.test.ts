import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countBy, TestService, type HttpResult } from '../helpers/service.ts';

const TOKEN = 'fair-sale-admin-token-0123456789';
const customer = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

/**
 * A fair sale across two API processes with group commit on, sharing PostgreSQL and one Redis
 * prefix: limits per customer and sale windows are decided by the statement that takes the stock,
 * so they stay exact whatever the concurrency.
 */
describe('a fair sale on two API processes', () => {
  let services: TestService[];
  let a: TestService;
  let b: TestService;
  const admin = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    const env = { REDIS_PREFIX: `t${randomBytes(4).toString('hex')}:`, DATABASE_POOL_SIZE: '10', ADMIN_TOKEN: TOKEN };
    services = await Promise.all([TestService.start({ env }), TestService.start({ worker: 'none', env })]);
    [a, b] = services as [TestService, TestService];
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.close()));
  });

  const createProduct = async (body: Record<string, unknown>): Promise<number> => {
    const res = await a.post('/api/admin/products', { name: 'drop', price: 10, ...body }, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as number;
  };

  it('40 simultaneous holds of 1 unit by one customer on a product limited to 3: exactly 3 × 201 and 37 × 409', async () => {
    const productId = await createProduct({ stock: 100, max_per_customer: 3 });
    const buyer = customer('greedy');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? a : b).post('/api/holds', { product_id: productId, quantity: 1, customer_id: buyer }),
      ),
    );
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 3, 409: 37 });
    for (const r of results.filter((r) => r.status === 409)) {
      expect(r.body).toMatchObject({
        type: '/problems/purchase-limit-exceeded',
        product_id: productId,
        limit: 3,
        current: 3,
        requested: 1,
      });
    }
    for (const r of results.filter((r) => r.status === 201)) expect(r.body.customer_id).toBe(buyer);

    // Another customer is unaffected, up to their own limit.
    const other = customer('patient');
    const theirs = await Promise.all(
      Array.from({ length: 5 }, () => b.post('/api/holds', { product_id: productId, quantity: 1, customer_id: other })),
    );
    expect(countBy(theirs, (r) => r.status)).toEqual({ 201: 3, 409: 2 });
    await a.expectInvariants([productId]);
    expect(await a.dbAvailable(productId)).toBe(94);
  });

  it('counts orders created or paid, not failed ones, and frees the limit when a hold is released', async () => {
    const productId = await createProduct({ stock: 50, max_per_customer: 2 });
    const buyer = customer('orderer');
    const hold = async (quantity: number) => a.post('/api/holds', { product_id: productId, quantity, customer_id: buyer });
    const first = await hold(1);
    expect(first.status).toBe(201);
    const order = await a.post('/api/orders', { hold_id: first.body.hold_id });
    expect(order.status).toBe(201);
    expect(order.body.customer_id).toBe(buyer);
    const second = await hold(1);
    expect(second.status).toBe(201);
    expect((await hold(1)).body).toMatchObject({ type: '/problems/purchase-limit-exceeded', current: 2, limit: 2 });

    expect((await a.del(`/api/holds/${second.body.hold_id}`)).status).toBe(200);
    const paid = await a.post('/api/payments/webhook', {
      order_id: order.body.order_id,
      payment_status: 'failed',
      idempotency_key: `evt-${randomBytes(6).toString('hex')}`,
    });
    expect(paid.status).toBe(200);
    // The released hold and the failed order no longer count: two more fit.
    expect((await hold(2)).status).toBe(201);
    await a.expectInvariants([productId]);
  });

  it('a sale that opens in 2 seconds: every hold before is sale-not-started with Retry-After, holds after succeed', async () => {
    const { rows } = await a.rt.pool.query<{ starts: Date }>(`select now() + interval '2 seconds' as starts`);
    const startsAt = rows[0]!.starts;
    const productId = await createProduct({ stock: 100, sale_starts_at: startsAt.toISOString() });
    const early: HttpResult[] = [];
    // Hammer it until the database clock passes the start.
    for (;;) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).post('/api/holds', { product_id: productId, quantity: 1 })),
      );
      const { rows: clock } = await a.rt.pool.query<{ now: Date }>('select now()');
      early.push(...batch);
      if (clock[0]!.now.getTime() >= startsAt.getTime()) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const placedEarly = early.filter((r) => r.status === 201);
    // Whatever was granted was granted at or after the start, by the database clock.
    for (const r of placedEarly) expect(new Date(r.body.created_at).getTime()).toBeGreaterThanOrEqual(startsAt.getTime());
    const refused = early.filter((r) => r.status !== 201);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({
        type: '/problems/sale-not-started',
        starts_at: startsAt.toISOString(),
        product_id: productId,
      });
      const retryAfter = Number(r.headers['retry-after']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(3);
    }
    const after = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    expect(countBy(after, (r) => r.status)).toEqual({ 201: 10 });
    await a.expectInvariants([productId]);
  });

  it('a sale that has ended is sale-ended; one not yet started says so even when it asks for more than the stock', async () => {
    const ended = await createProduct({
      stock: 5,
      sale_starts_at: '2020-01-01T00:00:00Z',
      sale_ends_at: '2020-01-02T00:00:00Z',
    });
    const res = await a.post('/api/holds', { product_id: ended, quantity: 1 });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ type: '/problems/sale-ended', ends_at: '2020-01-02T00:00:00.000Z', product_id: ended });
    // Past the mirrored stock too: the pre-check leaves a product outside its window to PostgreSQL.
    expect((await b.post('/api/holds', { product_id: ended, quantity: 6 })).body.type).toBe('/problems/sale-ended');

    const later = await createProduct({ stock: 5, sale_starts_at: '2999-01-01T00:00:00Z' });
    const big = await a.post('/api/holds', { product_id: later, quantity: 6 });
    expect(big.status).toBe(409);
    expect(big.body.type).toBe('/problems/sale-not-started');
    expect(Number(big.headers['retry-after'])).toBeGreaterThan(30_000_000);
  });

  it('a limited product needs a customer (400 customer-required), even past its stock', async () => {
    const productId = await createProduct({ stock: 2, max_per_customer: 1 });
    for (const quantity of [1, 3]) {
      const res = await b.post('/api/holds', { product_id: productId, quantity });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ type: '/problems/customer-required', product_id: productId });
    }
    // Sold out: a customer asking for more than is left meets the stock before the limit.
    expect((await a.post('/api/holds', { product_id: productId, quantity: 1, customer_id: customer('c') })).status).toBe(201);
    expect((await a.post('/api/holds', { product_id: productId, quantity: 1, customer_id: customer('c') })).status).toBe(201);
    const sold = await a.post('/api/holds', { product_id: productId, quantity: 1, customer_id: customer('c') });
    expect(sold.body.type).toBe('/problems/insufficient-stock');
  });

  it('carts: the rule applies per line, the first rule broken refuses the whole cart, and nothing is reserved', async () => {
    const plain = await createProduct({ stock: 10 });
    const limited = await createProduct({ stock: 10, max_per_customer: 2 });
    const closed = await createProduct({ stock: 10, sale_starts_at: '2999-01-01T00:00:00Z' });
    const buyer = customer('cart');
    const cart = (items: [number, number][], customerId?: string) =>
      a.post('/api/holds', {
        items: items.map(([product_id, quantity]) => ({ product_id, quantity })),
        ...(customerId ? { customer_id: customerId } : {}),
      });

    const ok = await cart(
      [
        [plain, 1],
        [limited, 2],
      ],
      buyer,
    );
    expect(ok.status).toBe(201);
    expect(ok.body.customer_id).toBe(buyer);
    const over = await cart(
      [
        [plain, 1],
        [limited, 1],
      ],
      buyer,
    );
    expect(over.body).toMatchObject({
      type: '/problems/purchase-limit-exceeded',
      product_id: limited,
      limit: 2,
      current: 2,
      requested: 1,
    });
    expect(
      (
        await cart([
          [plain, 1],
          [limited, 1],
        ])
      ).body.type,
    ).toBe('/problems/customer-required');
    // The window comes first, whatever the other lines break.
    expect(
      (
        await cart(
          [
            [limited, 5],
            [closed, 1],
          ],
          buyer,
        )
      ).body.type,
    ).toBe('/problems/sale-not-started');
    // Stock before limit: a line that does not fit is insufficient-stock with its lines.
    const short = await cart(
      [
        [plain, 50],
        [limited, 1],
      ],
      buyer,
    );
    expect(short.body).toMatchObject({ type: '/problems/insufficient-stock', lines: [{ product_id: plain, requested: 50 }] });
    expect([await a.dbAvailable(plain), await a.dbAvailable(limited), await a.dbAvailable(closed)]).toEqual([9, 8, 10]);
    await a.expectInvariants([plain, limited, closed]);
  });

  it('a limit in one batch counts what earlier requests of the same batch were granted, per customer', async () => {
    const productId = await createProduct({ stock: 1_000, max_per_customer: 5 });
    const buyers = [customer('x'), customer('y'), customer('z')];
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 === 0 ? a : b).post('/api/holds', { product_id: productId, quantity: 2, customer_id: buyers[i % 3] }),
      ),
    );
    const granted = countBy(
      results.filter((r) => r.status === 201),
      (r) => r.body.customer_id,
    );
    expect(granted).toEqual(Object.fromEntries(buyers.map((c) => [c, 2])));
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 6, 409: 54 });
    await a.expectInvariants([productId]);
  });
});
