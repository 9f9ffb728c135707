import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbSnapshot } from '../helpers/db-snapshot.ts';
import { newWebhookSecret, signWebhook } from '../helpers/webhook-signing.ts';
import {
  anyJson,
  BAD_NUMBER_TEXTS,
  badPathSegment,
  encodeSegment,
  INJECTIONS,
  notAnIdString,
  notAPositiveInteger,
} from '../helpers/hostile-inputs.ts';
import { problemProbe } from '../helpers/problem-probe.ts';
import { TestService } from '../helpers/service.ts';
import { request } from 'undici';
import { PROBLEM_BASE } from '../../src/http/problem-types.ts';

const secret = newWebhookSecret();
/** Requests sent per kind of input, annotated on the last test: how much each kind was tried. */
const tried: Record<string, number> = {};

describe('hostile input on every public route: always a 4xx problem, never a write', () => {
  let svc: TestService;
  let productId: number;
  let holdId: string;
  let orderId: number;
  let before: Record<string, unknown>;

  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', webhookSecret: secret });
    productId = await svc.createProduct(10);
    holdId = await svc.placeHold(productId, 1);
    const otherHold = await svc.placeHold(productId, 1);
    orderId = (await svc.post('/api/orders', { hold_id: otherHold })).body.order_id;
    before = await dbSnapshot(svc.rt.pool);
  });
  afterAll(async () => {
    await svc.close();
  });

  const expectProblem = problemProbe(() => svc, tried);
  const json = { 'content-type': 'application/json' };
  const post = (kind: string, path: string, body: string | Buffer, headers: Record<string, string> = json) =>
    expectProblem(kind, 'POST', path, body, headers);
  const isValidHold = (b: any) =>
    b &&
    typeof b === 'object' &&
    Number.isSafeInteger(b.product_id) &&
    b.product_id > 0 &&
    Number.isInteger(b.quantity) &&
    b.quantity >= 1 &&
    b.quantity <= 1_000_000;

  it('POST /api/holds: arbitrary JSON and wrong-typed, huge, negative, unicode and injection fields', async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (body) => {
        fc.pre(!isValidHold(body));
        await post('holds: arbitrary JSON', '/api/holds', JSON.stringify(body) ?? 'null');
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(productId), notAPositiveInteger),
        fc.oneof(fc.constant(1), notAPositiveInteger),
        async (product_id, quantity) => {
          fc.pre(!isValidHold({ product_id, quantity }));
          await post('holds: hostile fields', '/api/holds', JSON.stringify({ product_id, quantity }), {
            ...json,
            'idempotency-key': 'fuzz-' + Math.random(),
          });
        },
      ),
      { numRuns: 400 },
    );
    for (const text of BAD_NUMBER_TEXTS) {
      await post('holds: number texts', '/api/holds', `{"product_id":${productId},"quantity":${text}}`);
      await post('holds: number texts', '/api/holds', `{"product_id":${text},"quantity":1}`);
    }
  });

  it('POST /api/orders: arbitrary JSON and hostile hold ids', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyJson,
          notAnIdString.map((hold_id) => ({ hold_id })),
        ),
        async (body) => {
          fc.pre(!(body && typeof body === 'object' && (body as { hold_id?: unknown }).hold_id === holdId));
          await post('orders: hostile bodies', '/api/orders', JSON.stringify(body) ?? 'null');
        },
      ),
      { numRuns: 400 },
    );
  });

  it('POST /api/payments/webhook: hostile bodies, signed and unsigned', async () => {
    const status = fc.oneof(fc.constantFrom('paid', 'failed'), notAnIdString);
    const key = fc.oneof(
      fc.string({ minLength: 1, maxLength: 20 }).map((k) => `fuzz-${k}`),
      notAnIdString,
    );
    const field = fc.record({
      order_id: fc.oneof(fc.constant(orderId), notAPositiveInteger),
      payment_status: status,
      idempotency_key: key,
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyJson, field), fc.boolean(), async (value, signed) => {
        const body = JSON.stringify(value) ?? 'null';
        const headers = signed ? { ...json, ...signWebhook(secret, body) } : json;
        const v = value as Record<string, unknown> | null;
        const looksValid =
          !!v &&
          typeof v === 'object' &&
          Number.isSafeInteger(v.order_id) &&
          (v.order_id as number) > 0 &&
          (v.payment_status === 'paid' || v.payment_status === 'failed') &&
          typeof v.idempotency_key === 'string' &&
          // eslint-disable-next-line no-control-regex -- a key may not hold control characters: this is that check
          /^[^\u0000-\u001f\u007f]{1,255}$/.test(v.idempotency_key);
        fc.pre(!(signed && looksValid));
        await post(
          signed ? 'webhook: signed hostile bodies' : 'webhook: unsigned bodies',
          '/api/payments/webhook',
          body,
          headers,
        );
      }),
      { numRuns: 400 },
    );
    // Control characters in a signed, otherwise valid event: the database refuses NUL, so must we.
    for (const k of ['a\u0000b', '\u0000', 'line\nbreak', 'tab\tkey', '\u007f']) {
      const body = JSON.stringify({ order_id: orderId, payment_status: 'paid', idempotency_key: k });
      await post('webhook: control characters', '/api/payments/webhook', body, { ...json, ...signWebhook(secret, body) });
    }
  });

  it('path parameters: hostile ids on every GET and DELETE route', async () => {
    await fc.assert(
      fc.asyncProperty(
        badPathSegment,
        fc.constantFrom('GET /api/products/', 'GET /api/holds/', 'DELETE /api/holds/', 'GET /api/orders/'),
        async (segment, route) => {
          const [method, prefix] = route.split(' ') as [string, string];
          await expectProblem(`path: ${route}`, method, prefix + encodeSegment(segment));
        },
      ),
      { numRuns: 400 },
    );
    for (const raw of ['%', '%E0%A4%A', '%zz', '..%2F..%2Fetc', '%ff%fe', 'a%00b', '.', '..', '%2E', '%2e%2E']) {
      for (const prefix of ['/api/products/', '/api/holds/', '/api/orders/'])
        await expectProblem('path: malformed encoding', 'GET', prefix + raw);
    }
  });

  it('prototype pollution: a body carrying __proto__ or constructor.prototype is refused by the parser, whatever else it holds', async () => {
    // Each body is otherwise a valid hold: only the parser's refusal stands between it and a 201.
    const valid = `"product_id":${productId},"quantity":1`;
    for (const body of [
      `{"__proto__":{"isAdmin":true},${valid}}`,
      `{${valid},"constructor":{"prototype":{"isAdmin":true}}}`,
      `{"\\u005f_proto__":{"quantity":5},${valid}}`,
      `{${valid},"nested":{"__proto__":{"isAdmin":true}}}`,
    ]) {
      expect(await post('prototype keys', '/api/holds', body), body).toBe(400);
      const res = await request(svc.url + '/api/holds', { method: 'POST', dispatcher: svc.agent, headers: json, body });
      expect(((await res.body.json()) as { type: string }).type, body).toBe(`${PROBLEM_BASE}malformed-json`);
    }
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('isAdmin');
  });

  it('duplicate keys: the last one counts, and a bad last value is refused', async () => {
    const valid = `"product_id":${productId},"quantity":1`;
    for (const body of [
      `{${valid},"quantity":0}`,
      `{${valid},"quantity":"1"}`,
      `{${valid},"product_id":-1}`,
      `{"quantity":1,"quantity":null,"product_id":${productId}}`,
    ]) {
      await post('duplicate keys', '/api/holds', body);
    }
  });

  it('wrong content types, empty and oversized bodies, long URLs and headers: each with its exact status', async () => {
    const body = JSON.stringify({ product_id: productId, quantity: 1 });
    const types = [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/problem+json',
      'application/jsonp',
      'application/octet-stream',
      'json',
    ];
    for (const type of types) {
      // text/plain is parsed as text (docs/errors.md), so it fails validation instead: a 400.
      const status = type === 'text/plain' ? 400 : 415;
      for (const path of ['/api/holds', '/api/orders', '/api/payments/webhook'])
        expect(await post('content types', path, body, { 'content-type': type })).toBe(status);
    }
    for (const path of ['/api/holds', '/api/orders', '/api/payments/webhook']) {
      expect(await post('empty bodies', path, '', json)).toBe(400);
      expect(await post('no content type', path, body, {})).toBe(415);
      expect(await expectProblem('no body', 'POST', path)).toBe(400);
      expect(
        await post('oversized bodies', path, JSON.stringify({ product_id: productId, quantity: 1, pad: 'x'.repeat(70_000) })),
      ).toBe(413);
      expect(await post('deep nesting', path, `{"product_id":${'['.repeat(20_000)}${']'.repeat(20_000)},"quantity":1}`)).toBe(
        400,
      );
      expect(await post('truncated JSON', path, body.slice(0, -1))).toBe(400);
      expect(
        await post(
          'invalid UTF-8',
          path,
          Buffer.concat([Buffer.from('{"hold_id":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]),
        ),
      ).toBe(400);
    }
    for (const raw of ['%', '%E0%A4%A', '%zz'])
      expect(await expectProblem('path: malformed encoding', 'GET', `/api/holds/${raw}`)).toBe(400);
    expect(await expectProblem('long URLs', 'GET', `/api/holds/${'x'.repeat(5_000)}`)).toBe(414);
    expect(await expectProblem('long URLs', 'GET', `/api/products/999999999?${'q=1&'.repeat(2_000)}`)).toBe(404);
    expect(await expectProblem('long URLs', 'GET', `/api/products/${'9'.repeat(30_000)}`)).toBe(431);
    expect(
      await expectProblem('long headers', 'GET', '/api/products/999999999', undefined, { 'x-filler': 'x'.repeat(20_000) }),
    ).toBe(431);
    for (const method of ['PUT', 'PATCH'])
      expect(await expectProblem('unknown methods', method, '/api/holds', body, json)).toBe(404);
    expect(await expectProblem('unknown routes', 'GET', '/api/../etc/passwd')).toBe(404);
    for (const s of INJECTIONS.slice(0, 10))
      expect(await expectProblem('unknown routes', 'GET', `/api/${encodeSegment(s)}`)).toBe(404);
  });

  it('left the database exactly as it was: every row count, every product stock and version, every status', async ({
    annotate,
  }) => {
    await annotate(`hostile inputs tried: ${JSON.stringify(tried)} total=${Object.values(tried).reduce((a, b) => a + b, 0)}`);
    expect(await dbSnapshot(svc.rt.pool)).toEqual(before);
    expect(await svc.mirrorAvailable(productId)).toBe(8);
    await svc.expectInvariants([productId]);
  });
});
