import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../src/app/reconcile.ts';
import { countBy, TestService } from '../helpers/service.ts';

const TOKEN = 'carts-admin-token-0123456789';

/** Every stock movement of the given products, oldest first. */
async function movements(svc: TestService, productIds: number[]) {
  const { rows } = await svc.rt.pool.query(
    `select product_id, reason, delta from stock_movements where product_id = any($1::bigint[]) and reason <> 'initial'
      order by id`,
    [productIds],
  );
  return rows;
}

describe('a cart from hold to paid order, one line per product, all or nothing', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { ADMIN_TOKEN: TOKEN } });
  });
  afterAll(() => svc.close());

  it('201 with every line in `items`, in the order asked; each product loses exactly its line', async () => {
    const [a, b, c] = [await svc.createProduct(10), await svc.createProduct(5), await svc.createProduct(7)];
    const items = [
      { product_id: c, quantity: 2 },
      { product_id: a, quantity: 3 },
      { product_id: b, quantity: 5 },
    ];
    const res = await svc.post('/api/holds', { items });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ items, status: 'active', ended_at: null });
    // Only one-line holds repeat their line at the top level.
    expect(res.body).not.toHaveProperty('product_id');
    expect(res.body).not.toHaveProperty('quantity');
    expect((await svc.get(`/api/holds/${res.body.hold_id}`)).body).toEqual(res.body);
    expect([await svc.dbAvailable(a), await svc.dbAvailable(b), await svc.dbAvailable(c)]).toEqual([7, 0, 5]);
    for (const [id, left] of [
      [a, 7],
      [b, 0],
      [c, 5],
    ] as const) {
      expect((await svc.get(`/api/products/${id}`)).body.available_stock).toBe(left);
    }
    expect(await movements(svc, [a, b, c])).toEqual([
      { product_id: c, reason: 'hold', delta: -2 },
      { product_id: a, reason: 'hold', delta: -3 },
      { product_id: b, reason: 'hold', delta: -5 },
    ]);
    await svc.expectInvariants([a, b, c]);
  });

  it('a one-line cart is the single hold it always was: product_id and quantity at the top level too', async () => {
    const a = await svc.createProduct(3);
    const res = await svc.post('/api/holds', { items: [{ product_id: a, quantity: 2 }] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ product_id: a, quantity: 2, items: [{ product_id: a, quantity: 2 }] });
    const single = await svc.post('/api/holds', { product_id: a, quantity: 1 });
    expect(single.body).toMatchObject({ product_id: a, quantity: 1, items: [{ product_id: a, quantity: 1 }] });
  });

  it('409 insufficient-stock lists each line that does not fit, and nothing at all is reserved', async () => {
    const [a, b, c] = [await svc.createProduct(10), await svc.createProduct(1), await svc.createProduct(2)];
    const res = await svc.post('/api/holds', {
      items: [
        { product_id: a, quantity: 4 },
        { product_id: b, quantity: 3 },
        { product_id: c, quantity: 5 },
      ],
    });
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toMatch(/\/insufficient-stock$/);
    expect(res.body.lines).toEqual([
      { product_id: b, requested: 3, available: 1 },
      { product_id: c, requested: 5, available: 2 },
    ]);
    expect([await svc.dbAvailable(a), await svc.dbAvailable(b), await svc.dbAvailable(c)]).toEqual([10, 1, 2]);
    expect(await movements(svc, [a, b, c])).toEqual([]);
    // A one-line refusal keeps its top-level fields beside `lines`.
    const single = await svc.post('/api/holds', { product_id: b, quantity: 2 });
    expect(single.body).toMatchObject({
      product_id: b,
      requested: 2,
      available: 1,
      lines: [{ product_id: b, requested: 2, available: 1 }],
    });
  });

  it('the database refuses a cart the mirror let through, all or nothing, and the mirror catches up', async () => {
    const [a, b] = [await svc.createProduct(5), await svc.createProduct(5)];
    await svc.get(`/api/products/${b}`); // the mirror key exists, then falls behind the database
    await svc.rt.pool.query(`update products set available = 1, total_stock = 1 where id = $1`, [b]);
    const res = await svc.post('/api/holds', {
      items: [
        { product_id: a, quantity: 2 },
        { product_id: b, quantity: 2 },
      ],
    });
    expect(res.status).toBe(409);
    expect(res.body.lines).toEqual([{ product_id: b, requested: 2, available: 1 }]);
    expect([await svc.dbAvailable(a), await svc.dbAvailable(b)]).toEqual([5, 1]);
    expect(await svc.mirrorAvailable(b)).toBe(1);
  });

  it('404 product-not-found names the unknown product; 400 duplicate-product; nothing reserved either way', async () => {
    const a = await svc.createProduct(5);
    const unknown = 9_000_000_000 + Math.floor(Math.random() * 1_000_000);
    const missing = await svc.post('/api/holds', {
      items: [
        { product_id: a, quantity: 1 },
        { product_id: unknown, quantity: 1 },
      ],
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ product_id: unknown, detail: `Product ${unknown} does not exist.` });
    expect(missing.body.type).toMatch(/\/product-not-found$/);

    const twice = await svc.post('/api/holds', {
      items: [
        { product_id: a, quantity: 1 },
        { product_id: a, quantity: 2 },
      ],
    });
    expect(twice.status).toBe(400);
    expect(twice.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(twice.body).toMatchObject({ product_id: a });
    expect(twice.body.type).toMatch(/\/duplicate-product$/);
    expect(await svc.dbAvailable(a)).toBe(5);
  });

  it('400 for an empty cart, more than 50 lines, a bad line, or both forms at once', async () => {
    const a = await svc.createProduct(100);
    const lines = (n: number) => Array.from({ length: n }, (_, i) => ({ product_id: a + i, quantity: 1 }));
    for (const body of [
      { items: [] },
      { items: lines(51) },
      { items: [{ product_id: a, quantity: 0 }] },
      { items: [{ product_id: a }] },
      { items: 'all' },
      { product_id: a, quantity: 1, items: [{ product_id: a, quantity: 1 }] },
      { product_id: a, items: [{ product_id: a, quantity: 1 }] },
    ]) {
      const res = await svc.post('/api/holds', body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.type).toMatch(/\/validation-error$/);
    }
    expect(await svc.dbAvailable(a)).toBe(100);
  });

  it('an order carries every line with the unit price of the moment; amount is their sum; paid sells it', async () => {
    const [a, b] = [await svc.createProduct(10, 2.5), await svc.createProduct(10, 10)];
    const hold = await svc.post('/api/holds', {
      items: [
        { product_id: b, quantity: 3 },
        { product_id: a, quantity: 2 },
      ],
    });
    // Repriced after the hold, before the order: the order takes the price of its creation.
    await svc.call('PATCH', `/api/admin/products/${b}`, { price: 12.34 }, { authorization: `Bearer ${TOKEN}` });
    const order = await svc.post('/api/orders', { hold_id: hold.body.hold_id });
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({
      hold_id: hold.body.hold_id,
      items: [
        { product_id: b, quantity: 3, unit_price: 12.34, amount: 37.02 },
        { product_id: a, quantity: 2, unit_price: 2.5, amount: 5 },
      ],
      amount: 42.02,
      payment_status: 'created',
    });
    expect(order.body).not.toHaveProperty('product_id');
    expect((await svc.get(`/api/orders/${order.body.order_id}`)).body).toEqual(order.body);
    expect((await svc.get(`/api/holds/${hold.body.hold_id}`)).body.status).toBe('confirmed');
    const paid = await svc.post('/api/payments/webhook', {
      order_id: order.body.order_id,
      payment_status: 'paid',
      idempotency_key: randomUUID(),
    });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ payment_status: 'paid', items: order.body.items, amount: 42.02 });
    expect([await svc.dbAvailable(a), await svc.dbAvailable(b)]).toEqual([8, 7]);
    const { figures } = await checkInvariants(svc.rt.ctx, [a, b]);
    expect(figures.map((f) => [f.held, f.ordered])).toEqual([
      [0, 2],
      [0, 3],
    ]);
    await svc.expectInvariants([a, b]);
  });

  it('release gives every line back once, one movement per line, whatever the number of DELETEs', async () => {
    const [a, b] = [await svc.createProduct(4), await svc.createProduct(6)];
    const hold = await svc.post('/api/holds', {
      items: [
        { product_id: a, quantity: 4 },
        { product_id: b, quantity: 1 },
      ],
    });
    const results = await Promise.all(Array.from({ length: 10 }, () => svc.del(`/api/holds/${hold.body.hold_id}`)));
    expect(countBy(results, (r) => r.status)).toEqual({ 200: 1, 409: 9 });
    expect(results.find((r) => r.status === 200)!.body).toMatchObject({ status: 'released', items: hold.body.items });
    expect([await svc.dbAvailable(a), await svc.dbAvailable(b)]).toEqual([4, 6]);
    expect([await svc.mirrorAvailable(a), await svc.mirrorAvailable(b)]).toEqual([4, 6]);
    expect(await movements(svc, [a, b])).toEqual([
      { product_id: a, reason: 'hold', delta: -4 },
      { product_id: b, reason: 'hold', delta: -1 },
      { product_id: a, reason: 'hold_released', delta: 4 },
      { product_id: b, reason: 'hold_released', delta: 1 },
    ]);
    await svc.expectInvariants([a, b]);
  });

  it('a failed payment returns every line exactly once, even under 20 concurrent webhooks', async () => {
    const [a, b, c] = [await svc.createProduct(3), await svc.createProduct(3), await svc.createProduct(3)];
    const hold = await svc.post('/api/holds', {
      items: [
        { product_id: c, quantity: 1 },
        { product_id: a, quantity: 2 },
        { product_id: b, quantity: 3 },
      ],
    });
    const order = await svc.post('/api/orders', { hold_id: hold.body.hold_id });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        svc.post('/api/payments/webhook', {
          order_id: order.body.order_id,
          payment_status: 'failed',
          idempotency_key: randomUUID(),
        }),
      ),
    );
    expect(countBy(results, (r) => r.status)).toEqual({ 200: 20 });
    expect([await svc.dbAvailable(a), await svc.dbAvailable(b), await svc.dbAvailable(c)]).toEqual([3, 3, 3]);
    expect([await svc.mirrorAvailable(a), await svc.mirrorAvailable(b), await svc.mirrorAvailable(c)]).toEqual([3, 3, 3]);
    const back = (await movements(svc, [a, b, c])).filter((m) => m.reason === 'payment_failed');
    expect(back.sort((x, y) => x.product_id - y.product_id)).toEqual([
      { product_id: a, reason: 'payment_failed', delta: 2 },
      { product_id: b, reason: 'payment_failed', delta: 3 },
      { product_id: c, reason: 'payment_failed', delta: 1 },
    ]);
    await svc.expectInvariants([a, b, c]);
  });

  it('Idempotency-Key: a retried cart reserves once; the same key with another cart is 422', async () => {
    const [a, b] = [await svc.createProduct(10), await svc.createProduct(10)];
    const key = randomUUID();
    const cart = {
      items: [
        { product_id: a, quantity: 1 },
        { product_id: b, quantity: 2 },
      ],
    };
    const results = await Promise.all(Array.from({ length: 5 }, () => svc.post('/api/holds', cart, { 'idempotency-key': key })));
    const first = results.find((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined)!;
    expect(first).toBeDefined();
    for (const r of results) {
      if (r.status === 201) expect(r.body).toEqual(first.body);
      else expect(r.status).toBe(409); // still in flight
    }
    const replay = await svc.post('/api/holds', cart, { 'idempotency-key': key });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect([await svc.dbAvailable(a), await svc.dbAvailable(b)]).toEqual([9, 8]);
    const other = await svc.post('/api/holds', { items: [{ product_id: a, quantity: 1 }] }, { 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(other.body.type).toMatch(/\/idempotency-key-reused$/);
  });

  it('the admin listings show the lines and find a cart by any of its products', async () => {
    const [a, b] = [await svc.createProduct(10, 1), await svc.createProduct(10, 2)];
    const items = [
      { product_id: a, quantity: 1 },
      { product_id: b, quantity: 2 },
    ];
    const hold = await svc.post('/api/holds', { items });
    const order = await svc.post('/api/orders', { hold_id: hold.body.hold_id });
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const product of [a, b]) {
      const holds = await svc.call('GET', `/api/admin/holds?product_id=${product}`, undefined, auth);
      expect(holds.body.items).toEqual([{ ...hold.body, status: 'confirmed', ended_at: expect.any(String), ended_by: 'order' }]);
      const orders = await svc.call('GET', `/api/admin/orders?product_id=${product}`, undefined, auth);
      expect(orders.body.items).toEqual([order.body]);
    }
    expect(order.body.items).toEqual([
      { ...items[0], unit_price: 1, amount: 1 },
      { ...items[1], unit_price: 2, amount: 4 },
    ]);
  });
});
