import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestService } from '../helpers/service.ts';

const TOKEN = 'admin-token-for-tests-0123456789';

/** Every admin route, with a body that would be valid, so only the credentials decide. */
const adminCalls = (productId: number): [method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown][] => [
  ['POST', '/api/admin/products', { name: 'Sneaky', price: 1, stock: 5 }],
  ['PATCH', `/api/admin/products/${productId}`, { name: 'Renamed by a stranger' }],
  ['POST', `/api/admin/products/${productId}/stock-adjustments`, { delta: 1000, reason: 'free stock' }],
  ['GET', `/api/admin/products/${productId}/movements`],
  ['GET', '/api/admin/holds'],
  ['GET', '/api/admin/orders'],
];

async function productState(svc: TestService, id: number) {
  const { rows } = await svc.rt.pool.query(
    `select p.name, p.total_stock, p.available, (select count(*)::int from stock_movements m where m.product_id = p.id) as movements,
            (select count(*)::int from products) as products
       from products p where p.id = $1`,
    [id],
  );
  return rows[0];
}

describe('admin API credentials', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { ADMIN_TOKEN: TOKEN } });
  });
  afterAll(() => svc.close());

  const wrongCredentials: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer admin-token-for-tests-0123456780' }],
    ['a token one character short', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['the token with extra characters', { authorization: `Bearer ${TOKEN}x` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['the token without the Bearer scheme', { authorization: TOKEN }],
    ['the token as Basic credentials', { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` }],
  ];

  for (const [label, headers] of wrongCredentials) {
    it(`401 problem+json and no change with ${label}, on every admin route`, async () => {
      const productId = await svc.createProduct(10);
      const before = await productState(svc, productId);
      for (const [method, path, body] of adminCalls(productId)) {
        const res = await svc.call(method, path, body, headers);
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(res.body.type).toMatch(/\/unauthorized$/);
        expect(res.body.status).toBe(401);
      }
      expect(await productState(svc, productId)).toEqual(before);
    });
  }

  it('a request without credentials is refused before its body is even validated', async () => {
    const res = await svc.post('/api/admin/products', '{not json', {});
    expect(res.status).toBe(401);
  });

  it('the right token passes, whatever the case of the scheme', async () => {
    const productId = await svc.createProduct(10);
    for (const scheme of ['Bearer', 'bearer']) {
      const res = await svc.call('GET', `/api/admin/products/${productId}/movements`, undefined, {
        authorization: `${scheme} ${TOKEN}`,
      });
      expect(res.status).toBe(200);
    }
  });

  it('the public product list needs no token', async () => {
    expect((await svc.get('/api/products')).status).toBe(200);
  });
});

describe('admin API without ADMIN_TOKEN configured', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none' });
  });
  afterAll(() => svc.close());

  it('every admin route answers 403 admin-disabled, with or without a token, and changes nothing', async () => {
    const productId = await svc.createProduct(10);
    const before = await productState(svc, productId);
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }, { authorization: 'Bearer ' }] as Record<string, string>[]) {
      for (const [method, path, body] of adminCalls(productId)) {
        const res = await svc.call(method, path, body, headers);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body.type).toMatch(/\/admin-disabled$/);
      }
    }
    expect(await productState(svc, productId)).toEqual(before);
  });

  it('the public routes still work', async () => {
    const productId = await svc.createProduct(3);
    expect((await svc.get(`/api/products/${productId}`)).body.available_stock).toBe(3);
    expect((await svc.get('/api/products')).status).toBe(200);
  });
});
