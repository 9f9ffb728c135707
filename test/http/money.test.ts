import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestService } from '../helpers/service.ts';

const TOKEN = 'admin-token-for-tests-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

describe('money: every product, order and amount in a currency, exact', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { ADMIN_TOKEN: TOKEN, CURRENCY: 'EUR' } });
  });
  afterAll(() => svc.close());

  const admin = (method: 'POST' | 'PATCH', path: string, body: unknown) => svc.call(method, path, body, AUTH);
  const create = (body: Record<string, unknown>) => admin('POST', '/api/admin/products', { name: 'priced', stock: 10, ...body });
  const countNamed = async (name: string) =>
    (await svc.rt.pool.query('select count(*)::int as n from products where name = $1', [name])).rows[0].n;
  const order = async (productId: number, quantity: number) => {
    const hold = await svc.placeHold(productId, quantity);
    const res = await svc.post('/api/orders', { hold_id: hold });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  };

  it('a cart across currencies is 400 currency-mismatch naming each currency, and nothing is reserved', async () => {
    const euros = (await create({ price: 10, currency: 'EUR', stock: 5 })).body;
    const yen = (await create({ price: 1500, currency: 'JPY', stock: 5 })).body;
    const dollars = (await create({ price: 2.5, currency: 'USD', stock: 5 })).body;
    const holdsBefore = (await svc.rt.pool.query('select count(*)::int as n from holds')).rows[0].n;
    const refused = await svc.post('/api/holds', {
      items: [
        { product_id: euros.id, quantity: 1 },
        { product_id: yen.id, quantity: 2 },
      ],
    });
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({
      type: '/problems/currency-mismatch',
      currencies: { [String(euros.id)]: 'EUR', [String(yen.id)]: 'JPY' },
    });
    expect((await svc.rt.pool.query('select count(*)::int as n from holds')).rows[0].n).toBe(holdsBefore);
    for (const p of [euros, yen]) expect(await svc.dbAvailable(p.id)).toBe(5);

    // One currency: the cart is placed and its order is in that currency.
    const moreDollars = (await create({ price: 0.25, currency: 'USD', stock: 5 })).body;
    const hold = await svc.post('/api/holds', {
      items: [
        { product_id: dollars.id, quantity: 2 },
        { product_id: moreDollars.id, quantity: 4 },
      ],
    });
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);
    const placed = await svc.post('/api/orders', { hold_id: hold.body.hold_id });
    expect(placed.body).toMatchObject({ currency: 'USD', amount: 6 });
  });

  it('a product takes CURRENCY unless the admin API gives its own', async () => {
    const byDefault = await create({ price: 19.99 });
    expect(byDefault.status).toBe(201);
    expect(byDefault.body).toMatchObject({ price: 19.99, currency: 'EUR' });
    const yen = await create({ price: 1500, currency: 'JPY' });
    expect(yen.body).toMatchObject({ price: 1500, currency: 'JPY' });
    expect((await svc.get(`/api/products/${yen.body.id}`)).body).toMatchObject({ price: 1500, currency: 'JPY' });
    const listed = await svc.get('/api/products?limit=100&offset=0');
    expect(listed.body.items.every((p: { currency: string }) => /^[A-Z]{3}$/.test(p.currency))).toBe(true);
  });

  it('a price with more decimals than its currency allows is 400, never rounded, and nothing is written', async () => {
    const cases = [
      { price: 0.001, currency: 'USD', message: 'has more decimals than USD allows (2)' },
      { price: 19.999 }, // EUR, the default
      { price: 1500.5, currency: 'JPY' },
      { price: 1.2345, currency: 'KWD' },
      { price: 0.30000000000000004, currency: 'USD' },
    ];
    for (const { message, ...body } of cases) {
      const name = `too precise ${JSON.stringify(body)}`;
      const res = await create({ name, ...body });
      expect(res.status, name).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.type).toMatch(/\/validation-error$/);
      expect(res.body.errors[0]).toMatchObject({ location: 'body', pointer: '/price' });
      if (message) expect(res.body.errors[0].message).toBe(message);
      expect(await countNamed(name)).toBe(0);
    }
    expect((await create({ price: 1.234, currency: 'KWD' })).body).toMatchObject({ price: 1.234, currency: 'KWD' });
  });

  it('an unknown or malformed currency is 400', async () => {
    for (const currency of ['XYZ', 'usd', 'EURO', 1]) {
      const res = await create({ name: `bad currency ${currency}`, price: 1, currency });
      expect(res.status, String(currency)).toBe(400);
      expect(res.body.type).toMatch(/\/validation-error$/);
      expect(res.body.errors[0].pointer).toBe('/currency');
    }
  });

  it('a new price is checked against the product currency; a refused one changes nothing', async () => {
    const yen = (await create({ price: 1000, currency: 'JPY' })).body;
    const refused = await admin('PATCH', `/api/admin/products/${yen.id}`, { price: 999.9 });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0]).toMatchObject({ pointer: '/price', message: 'has more decimals than JPY allows (0)' });
    expect((await svc.get(`/api/products/${yen.id}`)).body.price).toBe(1000);
    expect((await admin('PATCH', `/api/admin/products/${yen.id}`, { price: 999 })).body).toMatchObject({ price: 999 });
    expect((await admin('PATCH', `/api/admin/products/${yen.id}`, { currency: 'USD' })).status).toBe(400);
  });

  it('an order carries its product currency and an exact amount', async () => {
    const cents = (await create({ price: 0.1, currency: 'USD' })).body;
    expect(await order(cents.id, 3)).toMatchObject({ amount: 0.3, currency: 'USD', quantity: 3 });
    const dinar = (await create({ price: 1.234, currency: 'KWD' })).body;
    const kwd = await order(dinar.id, 7);
    expect(kwd).toMatchObject({ amount: 8.638, currency: 'KWD' });
    expect((await svc.get(`/api/orders/${kwd.order_id}`)).body).toMatchObject({ amount: 8.638, currency: 'KWD' });
    const yen = (await create({ price: 1999, currency: 'JPY' })).body;
    expect(await order(yen.id, 3)).toMatchObject({ amount: 5997, currency: 'JPY' });
  });
});
