import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestService } from '../helpers/service.ts';

const TOKEN = 'admin-token-for-tests-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

describe('listings: products, movements, holds and orders', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { ADMIN_TOKEN: TOKEN } });
  });
  afterAll(() => svc.close());

  const admin = (path: string) => svc.call('GET', path, undefined, AUTH);

  it('GET /api/products pages through every product once, by id', async () => {
    const mine = [await svc.createProduct(1), await svc.createProduct(2), await svc.createProduct(3)];
    const seen: number[] = [];
    let offset: number | null = 0;
    let pages = 0;
    while (offset !== null) {
      const res: { status: number; body: any } = await svc.get(`/api/products?limit=2&offset=${offset}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      expect(res.body).toMatchObject({ limit: 2, offset });
      seen.push(...res.body.items.map((p: { id: number }) => p.id));
      offset = res.body.next_offset;
      pages++;
    }
    const { rows } = await svc.rt.pool.query('select count(*)::int as n from products');
    expect(seen).toHaveLength(rows[0].n);
    expect(pages).toBe(Math.ceil(rows[0].n / 2) || 1);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(mine));
    const last = await svc.get(`/api/products?offset=${rows[0].n}`);
    expect(last.body).toEqual({ items: [], limit: 20, offset: rows[0].n, next_offset: null });
  });

  it('the product list shows the stock and price of each product', async () => {
    const id = await svc.createProduct(9, 4.5);
    await svc.placeHold(id, 4);
    const { rows } = await svc.rt.pool.query('select count(*)::int as n from products where id < $1', [id]);
    const res = await svc.get(`/api/products?limit=1&offset=${rows[0].n}`);
    expect(res.body.items).toEqual([expect.objectContaining({ id, price: 4.5, available_stock: 5, total_stock: 9 })]);
  });

  it('refuses bad paging with 400 problems', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'offset=-1', 'offset=1.5', 'limit=']) {
      const res = await svc.get(`/api/products?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('the movements of a product come newest first, a page at a time', async () => {
    const id = await svc.createProduct(10);
    await svc.call('POST', `/api/admin/products/${id}/stock-adjustments`, { delta: 1, reason: 'first' }, AUTH);
    const holdId = await svc.placeHold(id, 2);
    await svc.del(`/api/holds/${holdId}`);
    const first = await admin(`/api/admin/products/${id}/movements?limit=3`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((m: { reason: string }) => m.reason)).toEqual(['hold_released', 'hold', 'adjustment']);
    expect(first.body.items[0]).toMatchObject({ product_id: id, delta: 2, hold_id: holdId, available_after: 11 });
    expect(first.body.items[2]).toMatchObject({ delta: 1, note: 'first', available_after: 11, order_id: null });
    expect(first.body.next_offset).toBe(3);
    const second = await admin(`/api/admin/products/${id}/movements?limit=3&offset=3`);
    expect(second.body.items.map((m: { reason: string }) => m.reason)).toEqual(['initial']);
    expect(second.body.next_offset).toBeNull();
    const versions = [...first.body.items, ...second.body.items].map((m: { version: number }) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => b - a));
    expect((await admin('/api/admin/products/999999999/movements')).status).toBe(404);
    expect((await admin('/api/admin/products/abc/movements')).status).toBe(400);
  });

  it('holds filter by status and product', async () => {
    const id = await svc.createProduct(10);
    const holds = [await svc.placeHold(id, 1), await svc.placeHold(id, 2), await svc.placeHold(id, 3)];
    await svc.del(`/api/holds/${holds[0]}`);
    const order = await svc.post('/api/orders', { hold_id: holds[1] });
    expect(order.status).toBe(201);

    const ids = async (q: string) => {
      const res = await admin(`/api/admin/holds?product_id=${id}${q}`);
      expect(res.status).toBe(200);
      return res.body.items.map((h: { hold_id: string }) => h.hold_id);
    };
    expect(await ids('')).toEqual([...holds].reverse());
    expect(await ids('&status=active')).toEqual([holds[2]]);
    expect(await ids('&status=released')).toEqual([holds[0]]);
    expect(await ids('&status=confirmed')).toEqual([holds[1]]);
    expect(await ids('&status=expired')).toEqual([]);
    const released = await admin(`/api/admin/holds?product_id=${id}&status=released`);
    expect(released.body.items[0]).toMatchObject({ quantity: 1, status: 'released', ended_by: 'client' });
    expect(released.body.items[0].ended_at).toEqual(expect.any(String));
    const page = await admin(`/api/admin/holds?product_id=${id}&limit=2`);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.next_offset).toBe(2);
    const all = await admin('/api/admin/holds?status=active&limit=100');
    expect(all.body.items.every((h: { status: string }) => h.status === 'active')).toBe(true);
    expect((await admin('/api/admin/holds?status=bogus')).status).toBe(400);
    expect((await admin('/api/admin/holds?product_id=0')).status).toBe(400);
  });

  it('orders filter by payment status and product', async () => {
    const id = await svc.createProduct(10, 2.5);
    const orderIds: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await svc.post('/api/orders', { hold_id: await svc.placeHold(id, i + 1) });
      orderIds.push(res.body.order_id);
    }
    const pay = (orderId: number, status: string) =>
      svc.post('/api/payments/webhook', { order_id: orderId, payment_status: status, idempotency_key: `k-${orderId}-${status}` });
    expect((await pay(orderIds[0]!, 'paid')).status).toBe(200);
    expect((await pay(orderIds[1]!, 'failed')).status).toBe(200);

    const list = async (q: string) => {
      const res = await admin(`/api/admin/orders?product_id=${id}${q}`);
      expect(res.status).toBe(200);
      return res.body.items.map((o: { order_id: number; payment_status: string }) => [o.order_id, o.payment_status]);
    };
    expect(await list('')).toEqual([
      [orderIds[2], 'created'],
      [orderIds[1], 'failed'],
      [orderIds[0], 'paid'],
    ]);
    expect(await list('&status=paid')).toEqual([[orderIds[0], 'paid']]);
    expect(await list('&status=failed')).toEqual([[orderIds[1], 'failed']]);
    expect(await list('&status=created')).toEqual([[orderIds[2], 'created']]);
    const paid = await admin(`/api/admin/orders?product_id=${id}&status=paid`);
    expect(paid.body.items[0]).toMatchObject({ quantity: 1, amount: 2.5, product_id: id });
    expect((await admin('/api/admin/orders?status=refunded')).status).toBe(400);
    await svc.expectInvariants([id]);
  });
});
