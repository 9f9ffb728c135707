import { withTransaction } from '../adapters/postgres/db.ts';
import { endHold, findHold } from '../adapters/postgres/holds.ts';
import { confirmHoldIntoOrder, findOrder, type OrderRow } from '../adapters/postgres/orders.ts';
import { holdNotFound, type DomainError } from '../domain/errors.ts';
import { holdNotActiveError } from '../domain/hold.ts';
import { paymentDeadlineJobId } from '../domain/order.ts';
import { applyPendingPayments } from './apply-payment.ts';
import { getOrder } from './get-order.ts';
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
  // Everything the transaction learnt comes back in its result: a retried attempt (withTransaction
  // retries serialization failures) must not leave rolled-back stock figures or counts behind.
  const outcome = await withTransaction(ctx.pool, async (tx): Promise<OrderOutcome> => {
    const hold = await findHold(tx, holdId, { forUpdate: true });
    if (!hold) throw holdNotFound(holdId);
    if (hold.status === 'confirmed') {
      const order = present(await findOrder(tx, { holdId }), `order of confirmed hold ${holdId}`);
      return { order, created: false, overdue: order.overdue, mirror: [] };
    }
    if (hold.status === 'active' && !hold.live) {
      // Overdue though neither expiry path has run yet: expire it here and refuse the order.
      const ended = await endHold(tx, holdId, 'expired', 'request');
      return {
        refused: holdNotActiveError({ id: holdId, status: 'expired' }),
        expiredLagMs: ended[0] ? ended[0].ended_at.getTime() - ended[0].expires_at.getTime() : null,
        mirror: ended.map(snapshotOf),
      };
    }
    if (hold.status !== 'active') throw holdNotActiveError({ id: hold.id, status: hold.status });

    const order = await confirmHoldIntoOrder(tx, holdId, ctx.orderPaymentTtlSeconds);
    if (!order) throw holdNotActiveError({ id: holdId, status: 'expired' });
    const settled = await applyPendingPayments(tx, order);
    return { order: settled.order, created: true, overdue: false, mirror: settled.stock };
  });

  // Committed: only now do the mirror and the metrics hear of it.
  await syncMirror(ctx, outcome.mirror);
  if ('refused' in outcome) {
    if (outcome.expiredLagMs !== null) ctx.metrics.holdExpired('request', outcome.expiredLagMs);
    throw outcome.refused;
  }
  if (outcome.created) {
    ctx.metrics.orderCreated();
    // Payment events that arrived before the order were applied in its transaction.
    const status = outcome.order.payment_status;
    if (status === 'paid' || status === 'failed') ctx.metrics.paymentSettled(status);
    await scheduleDeadline(ctx, outcome.order);
  }
  // Not awaited: a leftover job finds the hold ended and does nothing.
  void ctx.expiry.cancel(holdId).catch((err: unknown) => ctx.log.debug({ err, holdId }, 'could not cancel expiry job'));
  // The order asked for again is read again, as GET /api/orders/{id} would: cancelled if overdue.
  if (!outcome.created && outcome.overdue) return { order: await getOrder(ctx, outcome.order.id), created: false };
  return { order: outcome.order, created: outcome.created };
}

/**
 * Queues the job that cancels the order if it is still unpaid at its deadline. The order is
 * committed either way: if the job cannot be queued, the sweeper cancels it, or the next request
 * that reads or pays it.
 */
async function scheduleDeadline(ctx: AppContext, order: OrderRow): Promise<void> {
  if (order.payment_status !== 'created' || order.payment_due_at === null) return;
  const jobId = paymentDeadlineJobId(order.id);
  try {
    // Both times are the database's: the job checks its clock again when it fires.
    await ctx.expiry.schedule(jobId, order.payment_due_at.getTime() - order.created_at.getTime());
  } catch (err) {
    ctx.log.warn({ err, jobId }, 'could not schedule the payment deadline; the sweeper will cancel the order if unpaid');
  }
}

/** What one committed attempt decided, with the stock figures it wrote. */
type OrderOutcome =
  | { refused: DomainError; expiredLagMs: number | null; mirror: StockSnapshot[] }
  | (CreateOrderResult & { overdue: boolean; mirror: StockSnapshot[] });
