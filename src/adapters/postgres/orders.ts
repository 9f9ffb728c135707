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
};

/** Holds the per-order-id lock until the transaction ends (see lock-order-id.sql). */
export async function lockOrderId(tx: Db, orderId: number): Promise<void> {
  await tx.query(SQL.lockId, [orderId]);
}

export interface OrderRow {
  id: number;
  hold_id: string;
  product_id: number;
  quantity: number;
  amount: string;
  payment_status: PaymentStatus;
  created_at: Date;
  updated_at: Date;
}

export async function confirmHoldIntoOrder(db: Db, holdId: string): Promise<OrderRow | null> {
  const { rows } = await db.query<OrderRow>(SQL.confirm, [holdId]);
  return rows[0] ?? null;
}

export async function findOrder(
  db: Db,
  by: { id: number } | { holdId: string },
  opts: { forUpdate?: boolean } = {},
): Promise<OrderRow | null> {
  const params = 'id' in by ? [by.id, null] : [null, by.holdId];
  const { rows } = await db.query<OrderRow>(opts.forUpdate ? `${SQL.find} for update` : SQL.find, params);
  return rows[0] ?? null;
}

/** Moves a `created` order to a terminal status; null when it was terminal already. */
export async function setPaymentStatus(db: Db, orderId: number, status: PaymentOutcome): Promise<OrderRow | null> {
  const { rows } = await db.query<OrderRow>(SQL.setPayment, [orderId, status]);
  return rows[0] ?? null;
}

export async function returnOrderStock(db: Db, order: Pick<OrderRow, 'id' | 'product_id' | 'quantity'>): Promise<StockRow> {
  const { rows } = await db.query<{ product_id: number; available: number; version: number }>(SQL.returnStock, [
    order.id,
    order.product_id,
    order.quantity,
  ]);
  const row = rows[0]!;
  return { id: row.product_id, available: row.available, version: row.version };
}
