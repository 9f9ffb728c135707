import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countBy, TestService } from '../helpers/service.ts';

describe('orders', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start();
  });
  afterAll(() => svc.close());

  it('20 concurrent orders for one hold: one order, every answer carries the same order_id', async () => {
    const productId = await svc.createProduct(10, 19.99);
    const holdId = await svc.placeHold(productId, 2);
    const results = await Promise.all(Array.from({ length: 20 }, () => svc.post('/api/orders', { hold_id: holdId })));

    expect(countBy(results, (r) => r.status)).toEqual({ 200: 19, 201: 1 });
    const orderIds = new Set(results.map((r) => r.body.order_id));
    expect(orderIds.size).toBe(1);
    const [orderId] = [...orderIds];
    expect(Number.isInteger(orderId)).toBe(true);
    const created = results.find((r) => r.status === 201)!;
    expect(created.body).toMatchObject({
      hold_id: holdId,
      product_id: productId,
      quantity: 2,
      amount: 39.98,
      payment_status: 'created',
    });
    expect(created.headers.location).toBe(`/api/orders/${orderId}`);

    const { rows } = await svc.rt.pool.query('select count(*)::int as n from orders where hold_id = $1', [holdId]);
    expect(rows[0].n).toBe(1);
    expect((await svc.get(`/api/holds/${holdId}`)).body.status).toBe('confirmed');
    expect((await svc.get(`/api/orders/${orderId}`)).body).toMatchObject({ order_id: orderId, payment_status: 'created' });
    // Stock moved from held to ordered: available is unchanged by the order.
    expect(await svc.dbAvailable(productId)).toBe(8);
    await svc.expectInvariants([productId]);
  });

  it('many holds ordered at once each get their own order', async () => {
    const productId = await svc.createProduct(30);
    const holds = await Promise.all(Array.from({ length: 30 }, () => svc.placeHold(productId, 1)));
    const results = await Promise.all(holds.map((hold_id) => svc.post('/api/orders', { hold_id })));
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 30 });
    expect(new Set(results.map((r) => r.body.order_id)).size).toBe(30);
    await svc.expectInvariants([productId]);
  });

  it('unknown, released and malformed holds are refused with the documented problems', async () => {
    const productId = await svc.createProduct(5);
    const unknown = await svc.post('/api/orders', { hold_id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toMatch(/\/hold-not-found$/);
    expect((await svc.post('/api/orders', { hold_id: 'not-a-uuid' })).status).toBe(404);

    const holdId = await svc.placeHold(productId, 1);
    expect((await svc.del(`/api/holds/${holdId}`)).status).toBe(200);
    const released = await svc.post('/api/orders', { hold_id: holdId });
    expect(released.status).toBe(409);
    expect(released.body.type).toMatch(/\/hold-released$/);
    expect(released.headers['content-type']).toMatch(/^application\/problem\+json/);

    const { rows } = await svc.rt.pool.query('select count(*)::int as n from order_lines where product_id = $1', [productId]);
    expect(rows[0].n).toBe(0);
    await svc.expectInvariants([productId]);
  });

  it('GET /api/orders/{id} answers 404 for an unknown order and 400 for a non-integer id', async () => {
    const missing = await svc.get('/api/orders/999999999');
    expect(missing.status).toBe(404);
    expect(missing.body.type).toMatch(/\/order-not-found$/);
    expect((await svc.get('/api/orders/abc')).status).toBe(400);
    expect((await svc.get('/api/orders/1.5')).status).toBe(400);
  });
});
