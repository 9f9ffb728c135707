import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_REPLAY_WINDOW_SECONDS } from '../../src/http/plugins/webhook-signature.ts';
import { newWebhookSecret, signWebhook } from '../helpers/webhook-signing.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';
import { TestService } from '../helpers/service.ts';

const current = newWebhookSecret();
const next = newWebhookSecret();
const stranger = newWebhookSecret();

describe('signed payment webhooks (Standard Webhooks, WEBHOOK_SECRET)', () => {
  let svc: TestService;
  let peer: TestService;
  beforeAll(async () => {
    // Two secrets at once, separated by a comma and a space: a rotation in progress.
    svc = await TestService.start({ worker: 'none', webhookSecret: `${current}, ${next}` });
    // A second API process on the same Redis namespace, as in a multi-replica deployment.
    peer = await TestService.start({ worker: 'none', webhookSecret: current, env: { REDIS_PREFIX: svc.config.REDIS_PREFIX } });
  });
  afterAll(async () => {
    await peer.close();
    await svc.close();
  });

  /** A fresh order and the JSON text of a `paid` event for it. */
  async function freshOrder(): Promise<{ orderId: number; body: string; key: string }> {
    const productId = await svc.createProduct(5);
    const holdId = await svc.placeHold(productId, 1);
    const order = await svc.post('/api/orders', { hold_id: holdId });
    expect(order.status).toBe(201);
    const key = randomUUID();
    return {
      orderId: order.body.order_id,
      key,
      body: JSON.stringify({ order_id: order.body.order_id, payment_status: 'paid', idempotency_key: key }),
    };
  }

  async function expectNothingApplied(orderId: number): Promise<void> {
    const { rows } = await svc.rt.pool.query(
      `select o.payment_status, (select count(*)::int from payment_events e where e.order_id = o.id) as events from orders o where o.id = $1`,
      [orderId],
    );
    expect(rows[0]).toEqual({ payment_status: 'created', events: 0 });
  }

  const deliver = (target: TestService, body: string, headers: Record<string, string>) =>
    target.post('/api/payments/webhook', body, headers);

  function expect401(res: { status: number; headers: Record<string, unknown>; body: any }): void {
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toMatch(/\/invalid-signature$/);
  }

  it('a correct signature with either rotated secret is accepted and applied', async () => {
    for (const secret of [current, next]) {
      const { orderId, body } = await freshOrder();
      const res = await deliver(svc, body, signWebhook(secret, body));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ order_id: orderId, payment_status: 'paid' });
    }
  });

  it('a signature made with a secret we do not hold is 401, nothing applied', async () => {
    const { orderId, body } = await freshOrder();
    expect401(await deliver(svc, body, signWebhook(stranger, body)));
    await expectNothingApplied(orderId);
  });

  it('a valid signature over another body is 401, nothing applied', async () => {
    const { orderId, body } = await freshOrder();
    const other = await freshOrder();
    expect401(await deliver(svc, body, signWebhook(current, other.body)));
    // The same JSON with one extra space is other bytes, so the signature does not cover it either.
    expect401(await deliver(svc, body.replace(':', ': '), signWebhook(current, body)));
    await expectNothingApplied(orderId);
    await expectNothingApplied(other.orderId);
  });

  it('a timestamp more than five minutes old or ahead is 401, nothing applied', async () => {
    const { orderId, body } = await freshOrder();
    expect401(await deliver(svc, body, signWebhook(current, body, { at: new Date(Date.now() - 6 * 60_000) })));
    expect401(await deliver(svc, body, signWebhook(current, body, { at: new Date(Date.now() + 6 * 60_000) })));
    await expectNothingApplied(orderId);
    // Inside the tolerance it goes through: the two refusals were about time alone.
    expect((await deliver(svc, body, signWebhook(current, body, { at: new Date(Date.now() - 4 * 60_000) }))).status).toBe(200);
  });

  it('each missing header, or a garbage one, is 401, nothing applied', async () => {
    const { orderId, body } = await freshOrder();
    const headers = signWebhook(current, body);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const { [name]: _dropped, ...rest } = headers;
      expect401(await deliver(svc, body, rest));
    }
    expect401(await deliver(svc, body, {}));
    expect401(await deliver(svc, body, { ...headers, 'webhook-signature': 'v1,AAAA' }));
    expect401(await deliver(svc, body, { ...headers, 'webhook-timestamp': 'yesterday' }));
    await expectNothingApplied(orderId);
  });

  it('the exact same signed message delivered again is 401, on this process and on another', async () => {
    const { orderId, body, key } = await freshOrder();
    const headers = signWebhook(current, body);
    expect((await deliver(svc, body, headers)).status).toBe(200);
    expect401(await deliver(svc, body, headers));
    expect401(await deliver(peer, body, headers));
    const { rows } = await svc.rt.pool.query('select count(*)::int as n from payment_events where idempotency_key = $1', [key]);
    expect(rows[0].n).toBe(1);
    const ttl = await svc.redis.ttl(`${svc.config.REDIS_PREFIX}webhook:seen:${headers['webhook-id']}`);
    expect(ttl).toBeGreaterThan(WEBHOOK_REPLAY_WINDOW_SECONDS - 30);
    expect(ttl).toBeLessThanOrEqual(WEBHOOK_REPLAY_WINDOW_SECONDS);
    // The provider's own resend is a new message (new webhook-id) with the same idempotency key: replayed, not re-applied.
    const resend = await deliver(svc, body, signWebhook(current, body));
    expect(resend.status).toBe(200);
    expect(resend.headers['idempotent-replayed']).toBe('true');
    expect((await svc.get(`/api/orders/${orderId}`)).body.payment_status).toBe('paid');
  });

  it('20 concurrent deliveries of one signed message: exactly one accepted', async () => {
    const { body, key } = await freshOrder();
    const headers = signWebhook(current, body);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => deliver(i % 2 ? peer : svc, body, headers)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(19);
    const { rows } = await svc.rt.pool.query('select count(*)::int as n from payment_events where idempotency_key = $1', [key]);
    expect(rows[0].n).toBe(1);
  });

  it("a message that failed on our side (5xx) is not remembered: the sender's retry of it is applied", async () => {
    // A replica whose database queries fail (its tables are not on the search path).
    const broken = await TestService.start({
      worker: 'none',
      webhookSecret: current,
      env: { REDIS_PREFIX: svc.config.REDIS_PREFIX, DATABASE_URL: `${TEST_DATABASE_URL}?options=-c%20search_path%3Dnowhere` },
    });
    try {
      const { orderId, body } = await freshOrder();
      const headers = signWebhook(current, body);
      expect((await deliver(broken, body, headers)).status).toBe(500);
      await expectNothingApplied(orderId);
      const retry = await deliver(svc, body, headers);
      expect(retry.status).toBe(200);
      expect(retry.body.payment_status).toBe('paid');
      expect401(await deliver(svc, body, headers));
    } finally {
      await broken.close();
    }
  });
});
