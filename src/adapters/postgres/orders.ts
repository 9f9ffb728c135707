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
  amount: string;
  currency: string;
  payment_status: PaymentStatus;
  created_at: Date;
  updated_at: Date;
  items: OrderLineJson[];
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

/** Gives every line of a failed order back to its product; the products' new stock, one per line. */
export async function returnOrderStock(db: Db, orderId: number): Promise<StockRow[]> {
  const { rows } = await db.query<{ product_id: number; available: number; version: number }>(SQL.returnStock, [orderId]);
  return rows.map((r) => ({ id: r.product_id, available: r.available, version: r.version }));
}
