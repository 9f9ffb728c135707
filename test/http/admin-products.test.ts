import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countBy, TestService } from '../helpers/service.ts';

const TOKEN = 'admin-token-for-tests-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

describe('admin API: products and stock', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { ADMIN_TOKEN: TOKEN } });
  });
  afterAll(() => svc.close());

  const admin = (method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) => svc.call(method, path, body, AUTH);
  const adjust = (id: number, delta: number, reason = 'test') =>
    admin('POST', `/api/admin/products/${id}/stock-adjustments`, { delta, reason });
  const movements = async (id: number) =>
    (await svc.rt.pool.query('select delta, reason, note from stock_movements where product_id = $1 order by id', [id])).rows;

  it('creates a product with its stock, mirrored at once and in the audit trail', async () => {
    const res = await admin('POST', '/api/admin/products', { name: 'Golden Ticket', price: 19.99, stock: 25 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Golden Ticket', price: 19.99, available_stock: 25, total_stock: 25 });
    expect(res.headers.location).toBe(`/api/products/${res.body.id}`);
    expect(await svc.mirrorAvailable(res.body.id)).toBe(25);
    expect((await svc.get(`/api/products/${res.body.id}`)).body).toEqual(res.body);
    expect(await movements(res.body.id)).toEqual([{ delta: 25, reason: 'initial', note: null }]);
    await svc.expectInvariants([res.body.id]);
  });

  it('refuses a bad product with a 400 problem and writes nothing', async () => {
    const count = async () => (await svc.rt.pool.query('select count(*)::int as n from products')).rows[0].n;
    const before = await count();
    const bad = [
      {},
      { name: 'x', price: 1 },
      { name: '', price: 1, stock: 1 },
      { name: '   ', price: 1, stock: 1 },
      { name: 'x', price: -1, stock: 1 },
      { name: 'x', price: '1', stock: 1 },
      { name: 'x', price: 1, stock: 1.5 },
      { name: 'x', price: 1, stock: -1 },
      { name: 'x', price: 1, stock: 1_000_000_001 },
      { name: 'x'.repeat(201), price: 1, stock: 1 },
      { name: 'x', price: 1, stock: 1, available: 5 },
    ];
    for (const body of bad) {
      const res = await admin('POST', '/api/admin/products', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.type).toMatch(/\/validation-error$/);
    }
    expect(await count()).toBe(before);
  });

  it('renames and reprices; the change is visible at once, the stock untouched', async () => {
    const id = await svc.createProduct(7, 10);
    expect((await svc.get(`/api/products/${id}`)).body.price).toBe(10); // now in the details cache
    const res = await admin('PATCH', `/api/admin/products/${id}`, { name: 'Renamed', price: 12.5 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, name: 'Renamed', price: 12.5, available_stock: 7, total_stock: 7 });
    expect((await svc.get(`/api/products/${id}`)).body).toMatchObject({ name: 'Renamed', price: 12.5 });
    expect((await admin('PATCH', `/api/admin/products/${id}`, { price: 3 })).body).toMatchObject({ name: 'Renamed', price: 3 });
  });

  it('PATCH refuses an empty change, stock and unknown fields (400), and an unknown product (404)', async () => {
    const id = await svc.createProduct(7, 10);
    for (const body of [{}, { stock: 100 }, { name: 'ok', total_stock: 1 }, { price: null }]) {
      const res = await admin('PATCH', `/api/admin/products/${id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const missing = await admin('PATCH', '/api/admin/products/999999999', { name: 'ghost' });
    expect(missing.status).toBe(404);
    expect(missing.body.type).toMatch(/\/product-not-found$/);
    expect((await svc.get(`/api/products/${id}`)).body).toMatchObject({ price: 10, total_stock: 7 });
  });

  it('a restock and a write-off move available and total stock together, with the audit trail and the mirror', async () => {
    const id = await svc.createProduct(10);
    await svc.placeHold(id, 3);
    const up = await adjust(id, 5, 'delivery from supplier');
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ product_id: id, delta: 5, reason: 'delivery from supplier', available_after: 12 });
    expect(up.body.product).toMatchObject({ available_stock: 12, total_stock: 15 });
    const down = await adjust(id, -12, 'water damage');
    expect(down.status).toBe(201);
    expect(down.body.product).toMatchObject({ available_stock: 0, total_stock: 3 });
    expect(await svc.mirrorAvailable(id)).toBe(0);
    expect((await svc.get(`/api/products/${id}`)).body).toMatchObject({ available_stock: 0, total_stock: 3 });
    expect(await movements(id)).toEqual([
      { delta: 10, reason: 'initial', note: null },
      { delta: -3, reason: 'hold', note: null },
      { delta: 5, reason: 'adjustment', note: 'delivery from supplier' },
      { delta: -12, reason: 'adjustment', note: 'water damage' },
    ]);
    await svc.expectInvariants([id]);
  });

  it('refuses a write-off below zero with 409 and changes nothing', async () => {
    const id = await svc.createProduct(4);
    await svc.placeHold(id, 2);
    const res = await adjust(id, -3);
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'STOCK.BELOW_ZERO', available: 2, delta: -3 });
    expect(res.body.type).toMatch(/\/stock-below-zero$/);
    expect(await svc.dbAvailable(id)).toBe(2);
    expect((await movements(id)).map((m) => m.reason)).toEqual(['initial', 'hold']);
    await svc.expectInvariants([id]);
  });

  it('refuses a restock past the stock limit with 409, a zero or bad delta with 400, an unknown product with 404', async () => {
    const id = await svc.createProduct(4);
    const over = await adjust(id, 1_000_000_000 - 3);
    expect(over.status).toBe(409);
    expect(over.body.type).toMatch(/\/stock-limit-exceeded$/);
    for (const body of [
      { delta: 0, reason: 'x' },
      { delta: 1.5, reason: 'x' },
      { delta: '1', reason: 'x' },
      { delta: 1 },
      { delta: 1, reason: '' },
      { reason: 'x' },
    ]) {
      const res = await admin('POST', `/api/admin/products/${id}/stock-adjustments`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await adjust(999_999_999, 1)).status).toBe(404);
    expect((await adjust(0, 1)).status).toBe(400);
    expect(await movements(id)).toHaveLength(1);
  });

  it('100 buyers and 50 write-offs race for 100 units: every unit goes exactly once, I1 holds', async () => {
    const id = await svc.createProduct(100);
    const results = await Promise.all([
      ...Array.from({ length: 100 }, () =>
        svc.post('/api/holds', { product_id: id, quantity: 1 }).then((r) => ({ kind: 'hold', ...r })),
      ),
      ...Array.from({ length: 50 }, () => adjust(id, -1, 'race').then((r) => ({ kind: 'writeoff', ...r }))),
    ]);
    const counts = countBy(results, (r) => `${r.kind}:${r.status}`);
    const holds = counts['hold:201'] ?? 0;
    const writeOffs = counts['writeoff:201'] ?? 0;
    expect(holds + writeOffs).toBe(100);
    expect((counts['hold:409'] ?? 0) + (counts['writeoff:409'] ?? 0)).toBe(50);
    expect(await svc.dbAvailable(id)).toBe(0);
    const { rows } = await svc.rt.pool.query('select total_stock from products where id = $1', [id]);
    expect(rows[0].total_stock).toBe(100 - writeOffs);
    expect((await movements(id)).filter((m) => m.reason === 'adjustment')).toHaveLength(writeOffs);
    await svc.expectInvariants([id]);
  });

  it('50 concurrent restocks of 2 add exactly 100 units', async () => {
    const id = await svc.createProduct(0);
    const results = await Promise.all(Array.from({ length: 50 }, () => adjust(id, 2, 'restock')));
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 50 });
    expect(new Set(results.map((r) => r.body.available_after)).size).toBe(50);
    expect(await svc.dbAvailable(id)).toBe(100);
    expect(await svc.mirrorAvailable(id)).toBe(100);
    await svc.expectInvariants([id]);
  });
});
