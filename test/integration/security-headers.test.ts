import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../helpers/env.ts';
import { freePort } from '../helpers/free-port.ts';
import { TestService } from '../helpers/service.ts';
import { SECURITY_HEADERS } from '../../src/http/plugins/security-headers.ts';

// Stack frames, source paths, SQL and driver messages: none may reach a client.
const INTERNALS =
  /\n\s+at |node_modules|\.ts:\d|\bselect\b|\bfrom\b|relation|does not exist|search_path|ECONNREFUSED|127\.0\.0\.1|postgres|\bpg\b|Error:/i;

function expectSecurityHeaders(headers: Record<string, unknown>): void {
  expect(headers['content-security-policy']).toMatch(/default-src 'self'/);
  expect(headers['content-security-policy']).toMatch(/script-src 'self'/);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('SAMEORIGIN');
  expect(headers['strict-transport-security']).toMatch(/max-age=\d+/);
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(headers['x-powered-by']).toBeUndefined();
}

describe('security headers', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none' });
  });
  afterAll(() => svc.close());

  it('are on API answers, errors and health checks alike', async () => {
    const productId = await svc.createProduct(3);
    for (const res of [
      await svc.get(`/api/products/${productId}`),
      await svc.get('/api/products/999999999'),
      await svc.post('/api/holds', { product_id: 'x' }),
      await svc.get('/health/live'),
      await svc.get('/no/such/route'),
    ]) {
      expectSecurityHeaders(res.headers);
    }
  });

  it('are, with the request id, every header of a sold-out refusal and of a product read, and nothing else', async () => {
    const soldOut = await svc.createProduct(0);
    const readable = await svc.createProduct(3);
    // Twice each: the first answer fills the near cache and the prepared answers, the second comes from them.
    for (let i = 0; i < 2; i++) {
      const answers = [
        [await svc.post('/api/holds', { product_id: soldOut, quantity: 1 }, { 'x-request-id': `refusal-${i}` }), 409],
        [await svc.call('GET', `/api/products/${readable}`, undefined, { 'x-request-id': `read-${i}` }), 200],
      ] as const;
      for (const [res, status] of answers) {
        expect(res.status).toBe(status);
        // connection and keep-alive say what becomes of the connection, not of this answer.
        const { date, 'content-length': length, 'content-type': type, connection: _c, 'keep-alive': _k, ...rest } = res.headers;
        expect(date).toEqual(expect.any(String));
        expect(Number(length)).toBe(Buffer.byteLength(JSON.stringify(res.body)));
        expect(type).toBe(status === 200 ? 'application/json; charset=utf-8' : 'application/problem+json; charset=utf-8');
        expect(rest).toEqual({
          'x-request-id': status === 200 ? `read-${i}` : `refusal-${i}`,
          ...SECURITY_HEADERS,
        });
      }
    }
  });

  it('leave Swagger UI at /docs working: every script it loads is same-origin and served', async () => {
    const page = await request(`${svc.url}/docs/`, { dispatcher: svc.agent });
    const html = await page.body.text();
    expect(page.statusCode).toBe(200);
    expectSecurityHeaders(page.headers);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, inline] of scripts) {
      // script-src 'self' blocks inline code, so the page must have none.
      expect(inline!.trim()).toBe('');
      const src = /src="([^"]+)"/.exec(attrs!)?.[1];
      expect(src, attrs).toBeDefined();
      expect(src).not.toMatch(/^(https?:)?\/\//);
      const asset = await request(new URL(src!, `${svc.url}/docs/`).href, { dispatcher: svc.agent });
      expect(asset.statusCode, src).toBe(200);
      expect(asset.headers['content-type']).toMatch(/javascript/);
      await asset.body.dump();
    }
    const spec = await svc.get('/docs/json');
    expect(spec.status).toBe(200);
    expect(spec.body.paths['/api/holds'].post.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'idempotency-key' })]),
    );
  });
});

describe('no internals in any response, 5xx included', () => {
  let broken: TestService;
  let down: TestService;
  beforeAll(async () => {
    // A real PostgreSQL whose tables cannot be found: every query fails with SQL in its message.
    const sep = TEST_DATABASE_URL.includes('?') ? '&' : '?';
    broken = await TestService.start({
      worker: 'none',
      env: { DATABASE_URL: `${TEST_DATABASE_URL}${sep}options=-c%20search_path%3Dnowhere` },
    });
    // A PostgreSQL that is not there at all: nothing listens on a port that was free a moment ago.
    down = await TestService.start({
      worker: 'none',
      env: { DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/nowhere` },
    });
  });
  afterAll(async () => {
    await broken.close();
    await down.close();
  });

  it('a failing query is a 500 problem that names only the request id', async () => {
    for (const res of [
      await broken.get('/api/products/424242'),
      await broken.post('/api/holds', { product_id: 424242, quantity: 1 }),
      await broken.post('/api/orders', { hold_id: '00000000-0000-4000-8000-000000000000' }),
      await broken.get('/api/orders/1'),
    ]) {
      expect(res.status).toBe(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.type).toMatch(/\/internal-error$/);
      expect(res.body.request_id).toBe(res.headers['x-request-id']);
      expect(JSON.stringify({ ...res.body, instance: undefined })).not.toMatch(INTERNALS);
      expectSecurityHeaders(res.headers);
    }
  });

  it('an unreachable database is a 503 problem with Retry-After and no detail', async () => {
    const res = await down.post('/api/holds', { product_id: 424242, quantity: 1 });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body.type).toMatch(/\/service-unavailable$/);
    expect(JSON.stringify({ ...res.body, instance: undefined })).not.toMatch(INTERNALS);
    const ready = await down.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'unavailable', checks: { postgres: 'unavailable', redis: 'ok' } });
    for (const value of Object.values(ready.body.checks as Record<string, string>)) expect(value).toMatch(/^(ok|unavailable)$/);
  });
});
