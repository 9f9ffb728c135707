import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../helpers/redis-server.ts';
import { eventually, TestService } from '../helpers/service.ts';

/**
 * With Redis unreachable, PostgreSQL alone decides: holds, orders, releases and webhooks answer
 * promptly instead of waiting for Redis to come back, and the expiry of holds placed meanwhile is
 * left to the sweeper. The test owns its redis-server, so it can kill it.
 */
const PROMPT_MS = 3_000;

describe('the service when Redis dies mid-life', () => {
  const redis = new RedisServer();
  let svc: TestService;
  beforeAll(async () => {
    await redis.start();
    svc = await TestService.start({ worker: 'none', holdTtlSeconds: 2, env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await svc?.close();
    await redis.stop();
  });

  const timed = async <T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> => {
    const start = Date.now();
    const value = await fn();
    return { ms: Date.now() - start, value };
  };

  it('holds, orders, releases and webhooks answer within 3 s from the database alone; the mirror heals after', async () => {
    const productId = await svc.createProduct(10);
    await svc.placeHold(productId, 1); // the mirror key exists before the fault
    await redis.stop();

    const hold = await timed(() => svc.post('/api/holds', { product_id: productId, quantity: 2 }));
    expect(hold.value.status, JSON.stringify(hold.value.body)).toBe(201);
    expect(hold.ms).toBeLessThan(PROMPT_MS);

    const other = await timed(() => svc.post('/api/holds', { product_id: productId, quantity: 1 }));
    expect(other.value.status).toBe(201);
    const release = await timed(() => svc.del(`/api/holds/${other.value.body.hold_id}`));
    expect(release.value.status).toBe(200);
    expect(release.ms).toBeLessThan(PROMPT_MS);

    const order = await timed(() => svc.post('/api/orders', { hold_id: hold.value.body.hold_id }));
    expect(order.value.status, JSON.stringify(order.value.body)).toBe(201);
    expect(order.ms).toBeLessThan(PROMPT_MS);

    const event = { order_id: order.value.body.order_id, payment_status: 'paid', idempotency_key: `k-${productId}` };
    const paid = await timed(() => svc.post('/api/payments/webhook', event));
    expect(paid.value.status).toBe(200);
    expect(paid.value.body.payment_status).toBe('paid');
    expect(paid.ms).toBeLessThan(PROMPT_MS);
    // The database layer of idempotency answers the repeat while Redis is away.
    const again = await svc.post('/api/payments/webhook', event);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');

    expect(await svc.dbAvailable(productId)).toBe(7);
    await redis.start();
    svc.startWorker(); // its reconciler and sweeper bring Redis and the first hold back in line
    await eventually(
      () => svc.dbAvailable(productId),
      (v) => v === 8,
      10_000,
    );
    await eventually(
      () => svc.mirrorAvailable(productId).catch(() => null),
      (v) => v === 8,
      10_000,
    );
    await svc.expectInvariants([productId]);
  });
});
