import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestService } from '../helpers/service.ts';

/**
 * An event that races with the creation of its order must still be applied exactly once: either
 * the order is already there when the event commits, or the order's creation finds the event.
 */
describe('a payment event racing with the creation of its order', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start();
  });
  afterAll(() => svc.close());

  it('is never left pending: 40 races, 40 orders failed, every unit back', async () => {
    const productId = await svc.createProduct(40);
    const holds = await Promise.all(Array.from({ length: 40 }, () => svc.placeHold(productId, 1)));
    for (const holdId of holds) {
      // Nothing else creates orders in this file, so the next order id is known.
      const { rows } = await svc.rt.pool.query(
        `select last_value + (case when is_called then 1 else 0 end) as next from orders_id_seq`,
      );
      const orderId = Number(rows[0].next);
      const [event, order] = await Promise.all([
        svc.post('/api/payments/webhook', { order_id: orderId, payment_status: 'failed', idempotency_key: `race-${holdId}` }),
        svc.post('/api/orders', { hold_id: holdId }),
      ]);
      expect(order.status).toBe(201);
      expect(order.body.order_id).toBe(orderId);
      expect([200, 202]).toContain(event.status);
      const final = await svc.get(`/api/orders/${orderId}`);
      expect(final.body.payment_status, `order ${orderId}: event ${event.status}`).toBe('failed');
    }
    const pending = await svc.rt.pool.query(
      `select count(*)::int as n from payment_events where idempotency_key like 'race-%' and outcome = 'pending'`,
    );
    expect(pending.rows[0].n).toBe(0);
    expect(await svc.dbAvailable(productId)).toBe(40);
    await svc.expectInvariants([productId]);
  });
});
