import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestService } from '../helpers/service.ts';

const TOKEN = 'fair-sale-admin-token-0123456789';
const admin = { authorization: `Bearer ${TOKEN}` };

describe('limits per customer and sale windows through the admin API; customer ids on holds and orders', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { ADMIN_TOKEN: TOKEN, DATABASE_POOL_SIZE: '10' } });
  });
  afterAll(async () => {
    await svc.close();
  });

  const patch = (id: number, body: unknown) => svc.call('PATCH', `/api/admin/products/${id}`, body, admin);

  it('sets them on create, shows them on reads and listings, changes and clears them with PATCH', async () => {
    const created = await svc.post(
      '/api/admin/products',
      { name: 'drop', price: 10, stock: 5, max_per_customer: 2, sale_starts_at: '2030-01-01T12:00:00+01:00' },
      admin,
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ max_per_customer: 2, sale_starts_at: '2030-01-01T11:00:00.000Z', sale_ends_at: null });
    const id = created.body.id as number;
    expect((await svc.get(`/api/products/${id}`)).body).toMatchObject({
      max_per_customer: 2,
      sale_starts_at: '2030-01-01T11:00:00.000Z',
    });

    const changed = await patch(id, { max_per_customer: 4, sale_ends_at: '2030-01-02T00:00:00Z' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      max_per_customer: 4,
      sale_starts_at: '2030-01-01T11:00:00.000Z',
      sale_ends_at: '2030-01-02T00:00:00.000Z',
    });
    // The product details a process keeps are forgotten on change: the next read shows the new rules.
    expect((await svc.get(`/api/products/${id}`)).body.max_per_customer).toBe(4);

    const cleared = await patch(id, { max_per_customer: null, sale_starts_at: null, sale_ends_at: null });
    expect(cleared.body).toMatchObject({ max_per_customer: null, sale_starts_at: null, sale_ends_at: null });
    // A name change keeps the rules as they are.
    await patch(id, { max_per_customer: 1 });
    expect((await patch(id, { name: 'renamed' })).body).toMatchObject({ name: 'renamed', max_per_customer: 1 });

    let listed: { id: number; max_per_customer: number | null }[] = [];
    for (let offset = 0; !listed.some((p) => p.id === id); offset += 100) {
      const page = await svc.get(`/api/products?limit=100&offset=${offset}`);
      expect(page.body.items.length).toBeGreaterThan(0);
      listed = page.body.items;
    }
    expect(listed.find((p) => p.id === id)).toMatchObject({ max_per_customer: 1, sale_starts_at: null, sale_ends_at: null });
  });

  it('refuses a limit below 1, a time without its offset and a window whose end is not after its start (400)', async () => {
    const base = { name: 'x', price: 1, stock: 1 };
    for (const extra of [
      { max_per_customer: 0 },
      { max_per_customer: 1.5 },
      { sale_starts_at: '2030-01-01 12:00' },
      { sale_starts_at: 'tomorrow' },
      { sale_starts_at: '2030-01-01T12:00:00Z', sale_ends_at: '2030-01-01T12:00:00Z' },
      { sale_starts_at: '2030-01-02T00:00:00Z', sale_ends_at: '2030-01-01T00:00:00Z' },
    ]) {
      const res = await svc.post('/api/admin/products', { ...base, ...extra }, admin);
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body.type).toBe('/problems/validation-error');
    }
    const id = (await svc.post('/api/admin/products', { ...base, sale_starts_at: '2030-01-02T00:00:00Z' }, admin)).body
      .id as number;
    // Only the end is sent: it is checked against the start the product already has.
    const res = await patch(id, { sale_ends_at: '2030-01-01T00:00:00Z' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: '/problems/validation-error', errors: [{ pointer: '/sale_ends_at' }] });
    expect((await patch(id, { max_per_customer: -1 })).status).toBe(400);
  });

  it('takes a customer_id of 1-128 characters of A-Za-z0-9._:@- on single holds and carts, and nothing else', async () => {
    const productId = await svc.createProduct(100);
    for (const customer_id of ['', 'a b', 'x'.repeat(129), 'ünï', 'a/b', 42, null]) {
      for (const body of [
        { product_id: productId, quantity: 1, customer_id },
        { items: [{ product_id: productId, quantity: 1 }], customer_id },
      ]) {
        const res = await svc.post('/api/holds', body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.type).toBe('/problems/validation-error');
      }
    }
    for (const customer_id of ['x'.repeat(128), 'a', 'user@example.com', 'tenant:42.buyer_7-x']) {
      const res = await svc.post('/api/holds', { product_id: productId, quantity: 1, customer_id });
      expect(res.status).toBe(201);
      expect(res.body.customer_id).toBe(customer_id);
      expect((await svc.get(`/api/holds/${res.body.hold_id}`)).body.customer_id).toBe(customer_id);
    }
    const anonymous = await svc.post('/api/holds', { product_id: productId, quantity: 1 });
    expect(anonymous.body.customer_id).toBeNull();
  });

  it('lists holds and orders of one customer', async () => {
    const productId = await svc.createProduct(100);
    const buyer = `buyer-${randomBytes(4).toString('hex')}`;
    const holds = [];
    for (let i = 0; i < 3; i++)
      holds.push((await svc.post('/api/holds', { product_id: productId, quantity: 1, customer_id: buyer })).body);
    await svc.post('/api/holds', { product_id: productId, quantity: 1, customer_id: `${buyer}-other` });
    const order = await svc.post('/api/orders', { hold_id: holds[0].hold_id });
    expect(order.body.customer_id).toBe(buyer);

    const listedHolds = await svc.call('GET', `/api/admin/holds?customer_id=${buyer}`, undefined, admin);
    expect(listedHolds.status).toBe(200);
    expect(listedHolds.body.items.map((h: { hold_id: string }) => h.hold_id).sort()).toEqual(holds.map((h) => h.hold_id).sort());
    expect(listedHolds.body.items.every((h: { customer_id: string }) => h.customer_id === buyer)).toBe(true);
    const active = await svc.call('GET', `/api/admin/holds?customer_id=${buyer}&status=active`, undefined, admin);
    expect(active.body.items).toHaveLength(2);
    const listedOrders = await svc.call('GET', `/api/admin/orders?customer_id=${buyer}`, undefined, admin);
    expect(listedOrders.body.items).toEqual([expect.objectContaining({ order_id: order.body.order_id, customer_id: buyer })]);
    expect((await svc.call('GET', '/api/admin/orders?customer_id=a%20b', undefined, admin)).status).toBe(400);
  });
});
