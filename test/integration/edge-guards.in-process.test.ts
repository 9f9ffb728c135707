import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessRateCounter } from '../../src/adapters/in-process/rate-counter.ts';
import { InProcessRequestIdempotencyStore } from '../../src/adapters/in-process/request-idempotency-store.ts';
import { InProcessWebhookReplayGuard } from '../../src/adapters/in-process/webhook-replay-guard.ts';
import { TestService } from '../helpers/service.ts';
import { newWebhookSecret, signWebhook } from '../helpers/webhook-signing.ts';

const secret = newWebhookSecret();

/** Without REDIS_URL the edge guards run on their in-process stand-ins, with the same answers. */
describe('edge guards without REDIS_URL (embedded shape)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', webhookSecret: secret, env: { REDIS_URL: '', HOLD_RATE_LIMIT_MAX: '3' } });
  });
  afterAll(() => svc.close());

  it('uses the in-process stand-ins', () => {
    expect(svc.rt.redis).toBeNull();
    expect(svc.rt.guards.requestIdempotency).toBeInstanceOf(InProcessRequestIdempotencyStore);
    expect(svc.rt.guards.webhookReplays).toBeInstanceOf(InProcessWebhookReplayGuard);
    expect(svc.rt.guards.rateCounter).toBeInstanceOf(InProcessRateCounter);
  });

  it('Idempotency-Key replays, a replayed webhook-id is 401, the 4th hold in a window is 429', async () => {
    const productId = await svc.createProduct(10);
    const key = randomUUID();
    const first = await svc.post('/api/holds', { product_id: productId, quantity: 2 }, { 'idempotency-key': key });
    const again = await svc.post('/api/holds', { product_id: productId, quantity: 2 }, { 'idempotency-key': key });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.hold_id).toBe(first.body.hold_id);

    const order = await svc.post('/api/orders', { hold_id: first.body.hold_id });
    expect(order.status).toBe(201);
    const body = JSON.stringify({ order_id: order.body.order_id, payment_status: 'paid', idempotency_key: randomUUID() });
    const headers = signWebhook(secret, body);
    expect((await svc.post('/api/payments/webhook', body, headers)).status).toBe(200);
    expect((await svc.post('/api/payments/webhook', body, headers)).status).toBe(401);

    // Two hold requests counted so far (the replay counts too): one more is allowed, then 429.
    const third = await svc.post('/api/holds', { product_id: productId, quantity: 1 });
    const fourth = await svc.post('/api/holds', { product_id: productId, quantity: 1 });
    expect([third.status, fourth.status]).toEqual([201, 429]);
    expect(Number(fourth.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await svc.dbAvailable(productId)).toBe(7);
  });
});
