import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbSnapshot } from '../helpers/db-snapshot.ts';
import { anyJson, badPathSegment, encodeSegment, INJECTIONS, notAPositiveInteger } from '../helpers/hostile-inputs.ts';
import { problemProbe } from '../helpers/problem-probe.ts';
import { TestService } from '../helpers/service.ts';

const TOKEN = `admin-${'s3cret'.repeat(4)}`;
const tried: Record<string, number> = {};

const ROUTES = [
  ['POST', '/api/admin/products'],
  ['PATCH', '/api/admin/products/:id'],
  ['POST', '/api/admin/products/:id/stock-adjustments'],
  ['GET', '/api/admin/products/:id/movements'],
  ['GET', '/api/admin/holds'],
  ['GET', '/api/admin/orders'],
] as const;

const hostileText = fc.oneof(
  fc.constantFrom(...INJECTIONS, '', ' ', '\t\n', 'x'.repeat(501), 'a\u0000b'),
  fc.string({ unit: 'binary', maxLength: 30 }),
);
const isName = (v: unknown) => typeof v === 'string' && v.length >= 1 && v.length <= 200 && /\S/.test(v) && !v.includes('\u0000');
const isPrice = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 9_999_999_999.99;
const isReason = (v: unknown) =>
  typeof v === 'string' && v.length >= 1 && v.length <= 500 && /\S/.test(v) && !v.includes('\u0000');
const isDelta = (v: unknown) => Number.isInteger(v) && v !== 0 && Math.abs(v as number) <= 1_000_000_000;

describe('hostile input on the admin API: a 4xx problem, never a write', () => {
  let svc: TestService;
  let productId: number;
  let before: Record<string, unknown>;
  const expectProblem = problemProbe(() => svc, tried);
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const route = (path: string) => path.replace(':id', String(productId));

  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { ADMIN_TOKEN: TOKEN } });
    productId = await svc.createProduct(10);
    before = await dbSnapshot(svc.rt.pool);
  });
  afterAll(async () => {
    await svc.close();
  });

  it('without the exact token every route is 401 before its body is even parsed', async () => {
    const wrongAuth = fc.oneof(
      fc.constantFrom(
        '',
        'Bearer',
        'Bearer ',
        `Bearer ${TOKEN}x`,
        `Bearer ${TOKEN.slice(0, -1)}`,
        `Bearer ${TOKEN.toUpperCase()}`,
        `Basic ${TOKEN}`,
        TOKEN,
        `Bearer ${TOKEN} ${TOKEN}`,
      ),
      fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), wrongAuth, anyJson, async ([method, path], authorization, body) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (authorization) headers.authorization = authorization;
        const status = await expectProblem(
          'admin: wrong tokens',
          method,
          route(path),
          method === 'GET' ? undefined : (JSON.stringify(body) ?? 'null'),
          headers,
        );
        expect(status).toBe(401);
      }),
      { numRuns: 200 },
    );
  });

  it('with the token: hostile product bodies', async () => {
    const create = fc.oneof(
      anyJson,
      fc.record({
        name: fc.oneof(fc.constant('ok'), hostileText),
        price: fc.oneof(fc.constant(1), notAPositiveInteger),
        stock: fc.oneof(fc.constant(1), notAPositiveInteger),
      }),
    );
    await fc.assert(
      fc.asyncProperty(create, async (body) => {
        const v = body as Record<string, unknown> | null;
        fc.pre(
          !(
            v &&
            typeof v === 'object' &&
            !Array.isArray(v) &&
            isName(v.name) &&
            isPrice(v.price) &&
            Number.isInteger(v.stock) &&
            (v.stock as number) >= 0 &&
            Object.keys(v).length === 3
          ),
        );
        await expectProblem('admin: create product', 'POST', '/api/admin/products', JSON.stringify(body) ?? 'null', auth);
      }),
      { numRuns: 200 },
    );
    const update = fc.oneof(anyJson, fc.record({ name: hostileText, price: notAPositiveInteger }, { requiredKeys: [] }));
    await fc.assert(
      fc.asyncProperty(update, async (body) => {
        const v = body as Record<string, unknown> | null;
        const fields = v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : null;
        const valid =
          fields &&
          fields.length > 0 &&
          fields.every((k) => (k === 'name' && isName(v!.name)) || (k === 'price' && isPrice(v!.price)));
        fc.pre(!valid);
        await expectProblem(
          'admin: update product',
          'PATCH',
          route('/api/admin/products/:id'),
          JSON.stringify(body) ?? 'null',
          auth,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('with the token: hostile stock adjustments, path ids and list queries', async () => {
    const adjustment = fc.oneof(
      anyJson,
      fc.record({
        delta: fc.oneof(fc.constant(1), fc.constant(-11), notAPositiveInteger),
        reason: fc.oneof(fc.constant('restock'), hostileText),
      }),
    );
    await fc.assert(
      fc.asyncProperty(adjustment, async (body) => {
        const v = body as Record<string, unknown> | null;
        // -11 of 10 available is well-formed but impossible: it must be refused without a write.
        const acceptable =
          v && typeof v === 'object' && isDelta(v.delta) && v.delta !== -11 && isReason(v.reason) && Object.keys(v).length === 2;
        fc.pre(!acceptable);
        await expectProblem(
          'admin: stock adjustments',
          'POST',
          route('/api/admin/products/:id/stock-adjustments'),
          JSON.stringify(body) ?? 'null',
          auth,
        );
      }),
      { numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(badPathSegment, fc.constantFrom('PATCH', 'POST', 'GET'), async (segment, method) => {
        const path =
          method === 'PATCH'
            ? '/api/admin/products/'
            : method === 'POST'
              ? '/api/admin/products/:id/stock-adjustments'
              : '/api/admin/products/:id/movements';
        const url = path.endsWith('/') ? path + encodeSegment(segment) : path.replace(':id', encodeSegment(segment));
        await expectProblem(
          'admin: path ids',
          method,
          url,
          method === 'GET' ? undefined : '{"delta":1,"reason":"x","name":"x"}',
          auth,
        );
      }),
      { numRuns: 150 },
    );
    const badQuery = fc.oneof(
      fc.record({ limit: fc.constantFrom('0', '-1', '101', '1.5', 'abc', '1e400', ''), offset: fc.constantFrom('0') }),
      fc.record({ offset: fc.constantFrom('-1', '1000001', 'x', '9007199254740993') }),
      fc.record({
        status: fc
          .oneof(fc.constantFrom(...INJECTIONS), fc.string({ minLength: 1 }))
          .filter((s) => !['active', 'confirmed', 'expired', 'released', 'created', 'paid', 'failed'].includes(s)),
      }),
      fc.record({ product_id: badPathSegment }),
    );
    await fc.assert(
      fc.asyncProperty(badQuery, fc.constantFrom('/api/admin/holds', '/api/admin/orders'), async (query, path) => {
        const qs = Object.entries(query)
          .map(([k, v]) => `${k}=${encodeSegment(String(v))}`)
          .join('&');
        await expectProblem('admin: list queries', 'GET', `${path}?${qs}`, undefined, { authorization: auth.authorization });
      }),
      { numRuns: 150 },
    );
  });

  it('left the database exactly as it was', async ({ annotate }) => {
    await annotate(
      `hostile admin inputs tried: ${JSON.stringify(tried)} total=${Object.values(tried).reduce((a, b) => a + b, 0)}`,
    );
    expect(await dbSnapshot(svc.rt.pool)).toEqual(before);
    // Nothing wrote the mirror either: it is still unset (no request read this product) or 10.
    expect([null, 10]).toContain(await svc.mirrorAvailable(productId));
  });
});
