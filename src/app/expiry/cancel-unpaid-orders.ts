import {
  cancelOverdueOrderRows,
  cancelUnpaidOrder as cancelUnpaidOrderRows,
  findOrder,
  type CancelledLineRow,
} from '../../adapters/postgres/orders.ts';
import type { PaymentStatus } from '../../domain/order.ts';
import { snapshotOf, syncMirror } from '../mirror-sync.ts';
import type { AppContext, StockSnapshot } from '../ports.ts';

export type CancelOrderResult =
  | { kind: 'cancelled'; lagMs: number }
  | { kind: 'not-due'; remainingMs: number }
  | { kind: 'not-created'; status: PaymentStatus }
  | { kind: 'no-deadline' }
  | { kind: 'not-found' };

/** How long after its deadline an order was really cancelled. */
export const cancelLagMs = (row: Pick<CancelledLineRow, 'payment_due_at' | 'cancelled_at'>): number =>
  row.cancelled_at.getTime() - row.payment_due_at.getTime();

/**
 * Cancels one order if it is still `created` and past its payment deadline by the database clock,
 * and gives its stock back; harmless to run twice, and a payment holding the order's row decides
 * first. The deadline job runs it, and so does a request that reads an overdue order.
 */
export async function cancelUnpaidOrder(ctx: AppContext, orderId: number, by: 'job' | 'request'): Promise<CancelOrderResult> {
  const cancelled = await cancelUnpaidOrderRows(ctx.pool, orderId, by);
  const first = cancelled[0];
  if (first) {
    await syncMirror(ctx, cancelled.map(snapshotOf));
    const lagMs = cancelLagMs(first);
    ctx.metrics.orderCancelled(by, lagMs);
    return { kind: 'cancelled', lagMs };
  }
  const order = await findOrder(ctx.pool, { id: orderId });
  if (!order) return { kind: 'not-found' };
  if (order.payment_status !== 'created') return { kind: 'not-created', status: order.payment_status };
  if (order.due_in_ms === null) return { kind: 'no-deadline' };
  // Not due yet by the database clock (or it fell due this instant: come back at once).
  return { kind: 'not-due', remainingMs: order.due_in_ms };
}

/**
 * The sweeper of unpaid orders: cancels every order still `created` past its deadline, in batches,
 * whatever happened to their jobs. Returns how many it cancelled.
 */
export async function cancelOverdueOrders(ctx: AppContext, batchSize = 500): Promise<{ cancelled: number }> {
  let cancelled = 0;
  for (;;) {
    // One row per line: an order of several lines appears once per product.
    const rows = await cancelOverdueOrderRows(ctx.pool, batchSize);
    const latest = new Map<number, StockSnapshot>();
    const orders = new Set<number>();
    for (const row of rows) {
      latest.set(row.product_id, snapshotOf(row));
      if (orders.has(row.id)) continue;
      orders.add(row.id);
      ctx.metrics.orderCancelled('sweeper', cancelLagMs(row));
    }
    await syncMirror(ctx, [...latest.values()]);
    cancelled += orders.size;
    if (orders.size < batchSize) return { cancelled };
  }
}
