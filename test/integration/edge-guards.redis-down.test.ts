import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWebhookSecret, signWebhook } from '../helpers/webhook-signing.ts';
import { countBy, TestService } from '../helpers/service.ts';

const secret = newWebhookSecret();

/**
 * With Redis unreachable: a request carrying an Idempotency-Key is refused (going on unchecked could
 * reserve twice), the rate limit and the webhook replay guard step aside (PostgreSQL still decides).
 */
describe('edge guards with Redis unreachable', () => {
  let svc: TestService;
  beforeAll(async () => {
    // Nothing listens on port 1: every Redis command fails at once.
    svc = await TestService.start({
      worker: 'none',
      webhookSecret: secret,
      env: { REDIS_URL: 'redis://127.0.0.1:1', HOLD_RATE_LIMIT_MAX: '1' },
    });
  });
  afterAll(() => svc.close());

  const holdRows = async (productId: number) =>
    (await svc.rt.pool.query('select count(*)::int as n from hold_lines where product_id = $1', [productId])).rows[0].n as number;

  it('a hold with an Idempotency-Key is a 503 with Retry-After and reserves nothing', async () => {
    const productId = await svc.createProduct(5);
    const res = await svc.post('/api/holds', { product_id: productId, quantity: 1 }, { 'idempotency-key': randomUUID() });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await holdRows(productId)).toBe(0);
    expect(await svc.dbAvailable(productId)).toBe(5);
  });

  it('holds without a key still work, and the rate limit (1 per window) lets them through', async () => {
    const productId = await svc.createProduct(5);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => svc.post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 4 });
    expect(await svc.dbAvailable(productId)).toBe(1);
  });

  it('a signed webhook is applied once: a redelivery is answered from PostgreSQL, not applied again', async () => {
    const productId = await svc.createProduct(5);
    const hold = await svc.post('/api/holds', { product_id: productId, quantity: 2 });
    const order = await svc.post('/api/orders', { hold_id: hold.body.hold_id });
    const body = JSON.stringify({ order_id: order.body.order_id, payment_status: 'failed', idempotency_key: randomUUID() });
    const headers = signWebhook(secret, body);
    const first = await svc.post('/api/payments/webhook', body, headers);
    expect(first.status).toBe(200);
    expect(first.body.payment_status).toBe('failed');
    const again = await svc.post('/api/payments/webhook', body, headers);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    // The failed payment gave its 2 units back exactly once.
    expect(await svc.dbAvailable(productId)).toBe(5);
  });
});
