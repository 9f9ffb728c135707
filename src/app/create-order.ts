import { withTransaction } from '../adapters/postgres/db.ts';
import { endHold, findHold } from '../adapters/postgres/holds.ts';
import { confirmHoldIntoOrder, findOrder, type OrderRow } from '../adapters/postgres/orders.ts';
import { holdNotFound, type DomainError } from '../domain/errors.ts';
import { holdNotActiveError } from '../domain/hold.ts';
import { applyPendingPayments } from './apply-payment.ts';
import { snapshotOf, syncMirror } from './mirror-sync.ts';
import type { AppContext, StockSnapshot } from './ports.ts';
import { present } from '../domain/present.ts';

export interface CreateOrderResult {
  order: OrderRow;
  /** False when the hold had already been turned into this order. */
  created: boolean;
}

/**
 * Turns a live hold into an order in one transaction. The hold row is locked first, so concurrent
 * attempts for one hold queue up and all but the first find the order it made.
 */
export async function createOrder(ctx: AppContext, holdId: string): Promise<CreateOrderResult> {
  const mirrorWrites: StockSnapshot[] = [];
  let expiredLagMs: number | null = null;
  const outcome = await withTransaction(ctx.pool, async (tx): Promise<CreateOrderResult | { refused: DomainError }> => {
    const hold = await findHold(tx, holdId, { forUpdate: true });
    if (!hold) throw holdNotFound(holdId);
    if (hold.status === 'confirmed') {
      const order = await findOrder(tx, { holdId });
      return { order: present(order, `order of confirmed hold ${holdId}`), created: false };
    }
    if (hold.status === 'active' && !hold.live) {
      // Overdue though neither expiry path has run yet: expire it here and refuse the order.
      const ended = await endHold(tx, holdId, 'expired', 'request');
      mirrorWrites.push(...ended.map(snapshotOf));
      if (ended[0]) expiredLagMs = ended[0].ended_at.getTime() - ended[0].expires_at.getTime();
      return { refused: holdNotActiveError({ id: holdId, status: 'expired' }) };
    }
    if (hold.status !== 'active') throw holdNotActiveError({ id: hold.id, status: hold.status });

    const order = await confirmHoldIntoOrder(tx, holdId);
    if (!order) throw holdNotActiveError({ id: holdId, status: 'expired' });
    const settled = await applyPendingPayments(tx, order);
    mirrorWrites.push(...settled.stock);
    return { order: settled.order, created: true };
  });

  await syncMirror(ctx, mirrorWrites);
  if ('refused' in outcome) {
    if (expiredLagMs !== null) ctx.metrics.holdExpired('request', expiredLagMs);
    throw outcome.refused;
  }
  if (outcome.created) {
    ctx.metrics.orderCreated();
    // Payment events that arrived before the order were applied in its transaction.
    if (outcome.order.payment_status !== 'created') ctx.metrics.paymentSettled(outcome.order.payment_status);
  }
  // Not awaited: a leftover job finds the hold ended and does nothing.
  void ctx.expiry.cancel(holdId).catch((err: unknown) => ctx.log.debug({ err, holdId }, 'could not cancel expiry job'));
  return outcome;
}
