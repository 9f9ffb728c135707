import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countBy, TestService } from '../helpers/service.ts';

/** With Redis unreachable, PostgreSQL alone decides: slower, never wrong, never a hang. */
describe('Redis unreachable', () => {
  let svc: TestService;
  beforeAll(async () => {
    // Nothing listens on port 1: every Redis command fails at once.
    svc = await TestService.start({ worker: 'none', env: { REDIS_URL: 'redis://127.0.0.1:1' } });
  });
  afterAll(() => svc.close());

  it('holds, orders and webhooks still work and still never oversell', async () => {
    const productId = await svc.createProduct(20);
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 60 }, () => svc.post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 20, 409: 40 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await svc.dbAvailable(productId)).toBe(0);

    const holdId = results.find((r) => r.status === 201)!.body.hold_id;
    const order = await svc.post('/api/orders', { hold_id: holdId });
    expect(order.status).toBe(201);
    const paid = await svc.post('/api/payments/webhook', {
      order_id: order.body.order_id,
      payment_status: 'failed',
      idempotency_key: `down-${holdId}`,
    });
    expect(paid.status).toBe(200);
    expect(paid.body.payment_status).toBe('failed');
    const replay = await svc.post('/api/payments/webhook', {
      order_id: order.body.order_id,
      payment_status: 'failed',
      idempotency_key: `down-${holdId}`,
    });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await svc.dbAvailable(productId)).toBe(1);

    const product = await svc.get(`/api/products/${productId}`);
    expect(product.status).toBe(200);
    expect(product.body.available_stock).toBe(1);
  });

  it('readiness says which dependency is down', async () => {
    const res = await svc.get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body.checks.postgres).toBe('ok');
    expect(res.body.checks.redis).toMatch(/^unavailable/);
  });
});
