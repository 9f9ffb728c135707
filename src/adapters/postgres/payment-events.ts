import type { PaymentEventOutcome, PaymentOutcome } from '../../domain/order.ts';
import type { Db } from './db.ts';
import { sql } from './db.ts';

const SQL = {
  claim: sql('claim-payment-event'),
  find: sql('find-payment-event'),
  settle: sql('settle-payment-event'),
  pending: sql('pending-payment-events'),
};

export interface PaymentEventRow {
  id: number;
  order_id: number;
  payment_status: PaymentOutcome;
  fingerprint: string;
  outcome: PaymentEventOutcome;
  response_status: number;
  response_body: unknown;
}

/** Claims the key; returns the new event id, or null when the key was used before. */
export async function claimPaymentEvent(
  db: Db,
  e: { key: string; orderId: number; status: PaymentOutcome; fingerprint: string },
): Promise<number | null> {
  const { rows } = await db.query<{ id: number }>(SQL.claim, [e.key, e.orderId, e.status, e.fingerprint]);
  return rows[0]?.id ?? null;
}

export async function findPaymentEvent(db: Db, key: string): Promise<PaymentEventRow | null> {
  const { rows } = await db.query<PaymentEventRow>(SQL.find, [key]);
  return rows[0] ?? null;
}

export async function settlePaymentEvent(
  db: Db,
  id: number,
  s: { outcome: PaymentEventOutcome; status: number; body: unknown },
): Promise<void> {
  await db.query(SQL.settle, [id, s.outcome, s.status, JSON.stringify(s.body)]);
}

export async function pendingPaymentEvents(
  db: Db,
  orderId: number,
): Promise<{ id: number; idempotency_key: string; payment_status: PaymentOutcome }[]> {
  const { rows } = await db.query<{ id: number; idempotency_key: string; payment_status: PaymentOutcome }>(SQL.pending, [
    orderId,
  ]);
  return rows;
}
