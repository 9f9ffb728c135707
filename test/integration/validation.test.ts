import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestService } from '../helpers/service.ts';

/** Bad input gets the documented 4xx problem and writes nothing (I6). */
describe('bad input', () => {
  let svc: TestService;
  let productId: number;
  beforeAll(async () => {
    // Its own database: "writes nothing" is judged on whole tables, which other files' sweepers must not touch.
    svc = await TestService.start({ ownDatabase: true });
    productId = await svc.createProduct(10);
  });
  afterAll(() => svc.close());

  async function rowCounts() {
    const { rows } = await svc.rt.pool.query(
      `select
      (select count(*) from holds)::int as holds, (select count(*) from orders)::int as orders,
      (select count(*) from payment_events)::int as events, (select count(*) from stock_movements)::int as movements,
      (select available from products where id = $1) as available`,
      [productId],
    );
    return rows[0];
  }

  const holdCases: [string, unknown, number, string][] = [
    ['zero quantity', { product_id: 0, quantity: 0 }, 400, 'validation-error'],
    ['negative quantity', { product_id: -1, quantity: -3 }, 400, 'validation-error'],
    ['fractional quantity', { quantity: 1.5 }, 400, 'validation-error'],
    ['huge quantity', { quantity: 1e12 }, 400, 'validation-error'],
    ['quantity as string', { quantity: '2' }, 400, 'validation-error'],
    ['quantity null', { quantity: null }, 400, 'validation-error'],
    ['quantity as array', { quantity: [1] }, 400, 'validation-error'],
    ['missing quantity', { quantity: undefined }, 400, 'validation-error'],
    ['product id as string', { product_id: 'abc' }, 400, 'validation-error'],
    ['product id fractional', { product_id: 1.5 }, 400, 'validation-error'],
    ['unknown product', { product_id: 2_000_000_000 }, 404, 'product-not-found'],
    ['more than there is', { quantity: 11 }, 409, 'insufficient-stock'],
  ];

  it.each(holdCases)('POST /api/holds with %s → %i %s', async (_name, patch, status, slug) => {
    const before = await rowCounts();
    const body = { product_id: productId, quantity: 1, ...(patch as object) };
    const res = await svc.post('/api/holds', body);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: `/problems/${slug}`, status });
    expect(typeof res.body.title).toBe('string');
    expect(await rowCounts()).toEqual(before);
  });

  const rawCases: [string, string, string | Buffer, number, string][] = [
    ['malformed JSON', 'application/json', '{"product_id": 1, "quantity":', 400, 'malformed-json'],
    ['an empty body', 'application/json', '', 400, 'malformed-json'],
    ['a JSON array', 'application/json', '[1,2]', 400, 'validation-error'],
    ['a JSON string', 'application/json', '"hello"', 400, 'validation-error'],
    [
      'prototype poisoning',
      'application/json',
      '{"__proto__":{"admin":true},"product_id":1,"quantity":1}',
      400,
      'malformed-json',
    ],
    [
      'a body over 64 KiB',
      'application/json',
      JSON.stringify({ product_id: 1, quantity: 1, pad: 'x'.repeat(70_000) }),
      413,
      'payload-too-large',
    ],
    ['an unsupported content type', 'application/xml', '<hold/>', 415, 'unsupported-media-type'],
    ['plain text', 'text/plain', 'product_id=1&quantity=1', 400, 'validation-error'],
  ];

  it.each(rawCases)('POST /api/holds with %s → %i %s', async (_name, contentType, body, status, slug) => {
    const before = await rowCounts();
    for (const path of ['/api/holds', '/api/orders', '/api/payments/webhook']) {
      const res = await request(svc.url + path, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
        dispatcher: svc.agent,
      });
      const parsed = JSON.parse(await res.body.text());
      expect(res.statusCode, path).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(parsed.type).toBe(`/problems/${slug}`);
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('unknown routes and methods are problems too, and no error body leaks internals', async () => {
    const missing = await svc.get('/api/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    const res = await svc.post('/api/holds', { product_id: productId, quantity: 'DROP TABLE holds;' });
    expect(JSON.stringify(res.body)).not.toMatch(/stack|node_modules|select |insert /i);
  });

  it('every answer carries an x-request-id, echoing the one a client sent', async () => {
    const res = await request(`${svc.url}/api/products/${productId}`, {
      headers: { 'x-request-id': 'trace-abc-123' },
      dispatcher: svc.agent,
    });
    await res.body.text();
    expect(res.headers['x-request-id']).toBe('trace-abc-123');
    const problem = await svc.get('/api/products/abc');
    expect(problem.headers['x-request-id']).toBe(problem.body.request_id);
  });
});
