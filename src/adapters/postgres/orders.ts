import type { PaymentOutcome, PaymentStatus } from '../../domain/order.ts';
import type { Db } from './db.ts';
import { sql } from './db.ts';
import type { StockRow } from './products.ts';

const SQL = {
  confirm: sql('confirm-hold-into-order'),
  find: sql('find-order'),
  setPayment: sql('set-payment-status'),
  returnStock: sql('return-order-stock'),
  lockId: sql('lock-order-id'),
  cancelUnpaid: sql('cancel-unpaid-order'),
  cancelOverdue: sql('cancel-overdue-orders'),
  markRefundDue: sql('mark-refund-due'),
};

/** Holds the per-order-id lock until the transaction ends (see lock-order-id.sql). */
export async function lockOrderId(tx: Db, orderId: number): Promise<void> {
  await tx.query(SQL.lockId, [orderId]);
}

/** An order line as the queries return it (json): prices as JSON numbers, to the cent. */
export interface OrderLineJson {
  product_id: number;
  quantity: number;
  unit_price: number;
  amount: number;
}

export interface OrderRow {
  id: number;
  hold_id: string;
  customer_id: string | null;
  amount: string;
  currency: string;
  payment_status: PaymentStatus;
  /** When it must be paid by (database clock); null for an order made without a deadline. */
  payment_due_at: Date | null;
  /** Cancelled, then paid: the buyer is owed the money back. */
  refund_due: boolean;
  created_at: Date;
  updated_at: Date;
  items: OrderLineJson[];
}

/** An order as findOrder reads it: also whether it is `created` past its deadline right now. */
export interface FoundOrderRow extends OrderRow {
  overdue: boolean;
  /** Time left until payment_due_at by the database clock (0 once past); null without a deadline. */
  due_in_ms: number | null;
}

/** `paymentTtlSeconds` 0 makes an order without a payment deadline. */
export async function confirmHoldIntoOrder(db: Db, holdId: string, paymentTtlSeconds: number): Promise<OrderRow | null> {
  const { rows } = await db.query<OrderRow>(SQL.confirm, [holdId, paymentTtlSeconds]);
  return rows[0] ?? null;
}

export async function findOrder(
  db: Db,
  by: { id: number } | { holdId: string },
  opts: { forUpdate?: boolean } = {},
): Promise<FoundOrderRow | null> {
  const params = 'id' in by ? [by.id, null] : [null, by.holdId];
  const { rows } = await db.query<FoundOrderRow>(opts.forUpdate ? `${SQL.find} for update` : SQL.find, params);
  return rows[0] ?? null;
}

/** Moves a `created` order within its deadline to a terminal status; null when it was terminal or is overdue. */
export async function setPaymentStatus(db: Db, orderId: number, status: PaymentOutcome): Promise<OrderRow | null> {
  const { rows } = await db.query<OrderRow>(SQL.setPayment, [orderId, status]);
  return rows[0] ?? null;
}

/** Gives every line of a failed order back to its product; the products' new stock, one per line. */
export async function returnOrderStock(db: Db, orderId: number): Promise<StockRow[]> {
  const { rows } = await db.query<{ product_id: number; available: number; version: number }>(SQL.returnStock, [orderId]);
  return rows.map((r) => ({ id: r.product_id, available: r.available, version: r.version }));
}

/** Who cancelled an unpaid order: its deadline job, the sweeper, or a request that found it overdue. */
export type OrderCancelledBy = 'job' | 'sweeper' | 'request';

/** One line of an order that was cancelled and gave its stock back: the product's new stock, for the mirror. */
export interface CancelledLineRow {
  product_id: number;
  available: number;
  version: number;
  payment_due_at: Date;
  cancelled_at: Date;
}

/** Cancels one order still `created` past its deadline and returns its stock; one row per line, none when nothing changed. */
export async function cancelUnpaidOrder(
  db: Db,
  orderId: number,
  by: Exclude<OrderCancelledBy, 'sweeper'>,
): Promise<CancelledLineRow[]> {
  const { rows } = await db.query<CancelledLineRow>(SQL.cancelUnpaid, [orderId, by]);
  return rows;
}

/** The sweeper's batch: one row per line of each order it cancelled. */
export async function cancelOverdueOrderRows(db: Db, batchSize: number): Promise<(CancelledLineRow & { id: number })[]> {
  const { rows } = await db.query<CancelledLineRow & { id: number }>(SQL.cancelOverdue, [batchSize]);
  return rows;
}

/** Marks a cancelled order as owing a refund; null when it is not cancelled or already owes one. */
export async function markRefundDue(db: Db, orderId: number): Promise<OrderRow | null> {
  const { rows } = await db.query<OrderRow>(SQL.markRefundDue, [orderId]);
  return rows[0] ?? null;
}
