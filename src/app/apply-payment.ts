import { createHash } from 'node:crypto';
import type { OrderView } from '../contract/orders.ts';
import type { PendingPaymentView } from '../contract/payments.ts';
import { withTransaction, type Tx } from '../adapters/postgres/db.ts';
import {
  cancelUnpaidOrder,
  findOrder,
  lockOrderId,
  markRefundDue,
  returnOrderStock,
  setPaymentStatus,
  type OrderRow,
} from '../adapters/postgres/orders.ts';
import {
  claimPaymentEvent,
  findPaymentEvent,
  pendingPaymentEvents,
  settlePaymentEvent,
} from '../adapters/postgres/payment-events.ts';
import { DomainError, ErrorCode } from '../domain/errors.ts';
import { IDEMPOTENCY_RETENTION_SECONDS, IDEMPOTENCY_RETENTION_TEXT } from '../domain/retention.ts';
import { decidePayment, paymentDeadlineJobId, type PaymentEventOutcome, type PaymentOutcome } from '../domain/order.ts';
import { cancelLagMs } from './expiry/cancel-unpaid-orders.ts';
import { snapshotOf, syncMirror } from './mirror-sync.ts';
import type { AppContext, StockSnapshot, StoredResponse } from './ports.ts';
import { orderView } from './views.ts';
import { present } from '../domain/present.ts';

export const IDEMPOTENCY_TTL_SECONDS = IDEMPOTENCY_RETENTION_SECONDS;

export interface PaymentInput {
  orderId: number;
  paymentStatus: PaymentOutcome;
  idempotencyKey: string;
}

export interface PaymentResult {
  status: 200 | 202;
  body: OrderView | PendingPaymentView;
  replayed: boolean;
}

/**
 * Applies a payment provider's event at most once. Redis answers repeats fast; the database's
 * unique key answers them for good; the order's update is conditional on its current status, so
 * even two different keys cannot pay or fail it twice.
 *
 * The order's row stays locked from the first read to the commit, and its payment deadline is
 * judged under that lock by the database clock: an order past it is cancelled first (its stock
 * returns) and a `paid` event then only marks it `refund_due`. The deadline job and the sweeper
 * change the order only through conditional updates that wait for (or skip) that lock, so a payment
 * racing the deadline ends one way, never both.
 */
export async function applyPayment(ctx: AppContext, input: PaymentInput): Promise<PaymentResult> {
  const fingerprint = fingerprintOf(input);
  const cached = await ctx.webhookIdempotency.get(input.idempotencyKey).catch(() => null);
  if (cached) return replay(ctx, cached, fingerprint, input.idempotencyKey);

  // Everything the transaction learnt comes back in its result: a retried attempt (withTransaction
  // retries serialization failures) must not leave rolled-back stock figures or counts behind.
  const settled = await withTransaction(ctx.pool, async (tx): Promise<SettledEvent> => {
    const eventId = await claimPaymentEvent(tx, {
      key: input.idempotencyKey,
      orderId: input.orderId,
      status: input.paymentStatus,
      fingerprint,
    });
    if (eventId === null) {
      const stored = present(
        await findPaymentEvent(tx, input.idempotencyKey),
        `payment event ${input.idempotencyKey}, claimed before`,
      );
      return { stored: { fingerprint: stored.fingerprint, status: stored.response_status, body: stored.response_body } };
    }
    let order = await findOrder(tx, { id: input.orderId }, { forUpdate: true });
    if (!order) {
      // The order may be being created right now: wait for that, then look again. Its creation
      // takes the same lock before it looks for waiting events, so one of the two always sees
      // the other.
      await lockOrderId(tx, input.orderId);
      order = await findOrder(tx, { id: input.orderId }, { forUpdate: true });
    }
    if (!order) {
      const body: PendingPaymentView = {
        order_id: input.orderId,
        payment_status: input.paymentStatus,
        outcome: 'pending',
        detail: `Order ${input.orderId} does not exist yet; the event is kept for ${IDEMPOTENCY_RETENTION_TEXT} and applied when it is created.`,
      };
      await settlePaymentEvent(tx, eventId, { outcome: 'pending', status: 202, body });
      return {
        result: { status: 202, body, replayed: false },
        outcome: 'pending',
        mirror: [],
        cancelledLagMs: null,
        open: false,
      };
    }
    const applied = await applyToOrder(tx, order, input.paymentStatus);
    const body = orderView(applied.order);
    await settlePaymentEvent(tx, eventId, { outcome: applied.outcome, status: 200, body });
    return {
      result: { status: 200, body, replayed: false },
      outcome: applied.outcome,
      mirror: applied.stock,
      cancelledLagMs: applied.cancelledLagMs,
      open: applied.order.payment_status === 'created',
    };
  });
  if ('stored' in settled) return replay(ctx, settled.stored, fingerprint, input.idempotencyKey);

  // Committed: only now do the mirror and the metrics hear of it.
  const { result } = settled;
  await syncMirror(ctx, settled.mirror);
  ctx.metrics.webhookHandled(settled.outcome);
  if (settled.cancelledLagMs !== null) ctx.metrics.orderCancelled('request', settled.cancelledLagMs);
  if (settled.outcome === 'applied') ctx.metrics.paymentSettled(input.paymentStatus);
  if (settled.outcome === 'late') ctx.metrics.latePayment();
  if (result.status === 200 && !settled.open) {
    // Not awaited: a leftover deadline job finds the order decided and does nothing.
    const jobId = paymentDeadlineJobId(input.orderId);
    void ctx.expiry.cancel(jobId).catch((err: unknown) => ctx.log.debug({ err, jobId }, 'could not cancel deadline job'));
  }
  // A pending (202) answer changes once its order exists, so only final answers are cached.
  if (!result.replayed && result.status === 200) {
    await ctx.webhookIdempotency
      .put(input.idempotencyKey, { fingerprint, status: result.status, body: result.body }, IDEMPOTENCY_TTL_SECONDS)
      .catch((err: unknown) => ctx.log.warn({ err }, 'could not cache webhook response; the database still has it'));
  }
  return result;
}

/** What one committed attempt did with an event: answered it (with the stock it returned, how late
 * it cancelled an overdue order, whether the order is still awaiting payment), or found its key
 * already used, whose stored answer is replayed. */
type SettledEvent =
  | { result: PaymentResult; outcome: PaymentEventOutcome; mirror: StockSnapshot[]; cancelledLagMs: number | null; open: boolean }
  | { stored: StoredResponse };

/** Applies the events that arrived before this order existed, in arrival order, in its transaction. */
export async function applyPendingPayments(tx: Tx, order: OrderRow): Promise<{ order: OrderRow; stock: StockSnapshot[] }> {
  await lockOrderId(tx, order.id);
  let current = order;
  const stock: StockSnapshot[] = [];
  for (const event of await pendingPaymentEvents(tx, order.id)) {
    const applied = await applyToOrder(tx, current, event.payment_status);
    current = applied.order;
    stock.push(...applied.stock);
    await settlePaymentEvent(tx, event.id, { outcome: applied.outcome, status: 200, body: orderView(current) });
  }
  return { order: current, stock };
}

interface AppliedEvent {
  order: OrderRow;
  outcome: PaymentEventOutcome;
  stock: StockSnapshot[];
  /** Set when the order was past its deadline and this event cancelled it first. */
  cancelledLagMs: number | null;
}

/** One event on an order whose row this transaction holds locked. */
async function applyToOrder(tx: Tx, order: OrderRow & { overdue?: boolean }, reported: PaymentOutcome): Promise<AppliedEvent> {
  const stock: StockSnapshot[] = [];
  let cancelledLagMs: number | null = null;
  let current = order;
  // Past its deadline by the database clock: cancelled first, exactly as its job would have done.
  const cancelIfOverdue = async (): Promise<void> => {
    const cancelled = await cancelUnpaidOrder(tx, current.id, 'request');
    const first = cancelled[0];
    if (!first) return;
    stock.push(...cancelled.map(snapshotOf));
    cancelledLagMs = cancelLagMs(first);
    current = present(await findOrder(tx, { id: current.id }), `order ${current.id}, just cancelled`);
  };
  if (order.overdue) await cancelIfOverdue();

  let decision = decidePayment({ status: current.payment_status, refundDue: current.refund_due }, reported);
  if (decision.outcome === 'applied') {
    const updated = await setPaymentStatus(tx, current.id, decision.next);
    if (updated) {
      current = updated;
      // Every line back to its product, once: the status change above happens only once.
      if (decision.returnsStock) stock.push(...(await returnOrderStock(tx, updated.id)).map(stockSnapshot));
      return { order: current, outcome: 'applied', stock, cancelledLagMs };
    }
    // Not applied although this transaction holds the row: the deadline passed since it was read.
    await cancelIfOverdue();
    current = present(await findOrder(tx, { id: current.id }), `order ${current.id}, read again`);
    decision = decidePayment({ status: current.payment_status, refundDue: current.refund_due }, reported);
  }
  if (decision.outcome === 'late') {
    const marked = await markRefundDue(tx, current.id);
    if (marked) return { order: marked, outcome: 'late', stock, cancelledLagMs };
  }
  return { order: current, outcome: 'ignored', stock, cancelledLagMs };
}

const stockSnapshot = (s: { id: number; available: number; version: number }): StockSnapshot => ({
  productId: s.id,
  available: s.available,
  version: s.version,
});

function replay(ctx: Pick<AppContext, 'metrics'>, stored: StoredResponse, fingerprint: string, key: string): PaymentResult {
  if (stored.fingerprint !== fingerprint) {
    ctx.metrics.webhookHandled('key_reused');
    throw new DomainError(ErrorCode.IdempotencyKeyReused, `Idempotency key "${key}" was already used with a different payload.`, {
      idempotency_key: key,
    });
  }
  ctx.metrics.webhookHandled('replayed');
  // Stored by this function earlier, so it has the shape it had then.
  return { status: stored.status as PaymentResult['status'], body: stored.body as PaymentResult['body'], replayed: true };
}

const fingerprintOf = (input: PaymentInput): string =>
  createHash('sha256')
    .update(JSON.stringify([input.orderId, input.paymentStatus]))
    .digest('hex');
