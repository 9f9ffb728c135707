import type { PaymentStatus } from './statuses.ts';

export type { PaymentStatus } from './statuses.ts';

/** What a payment provider may report. */
export type PaymentOutcome = 'paid' | 'failed';

/**
 * The job id of an order's payment deadline in the expiry queue, which also carries one job per hold
 * (whose id is the hold's uuid): `order-<id>`, never an integer and without a colon, as BullMQ asks.
 */
export const paymentDeadlineJobId = (orderId: number): string => `order-${orderId}`;

/** The order whose payment deadline a job id names, or null for a hold's expiry job. */
export function orderOfDeadlineJob(jobId: string): number | null {
  const match = /^order-(\d+)$/.exec(jobId);
  return match ? Number(match[1]) : null;
}

export const isTerminalPayment = (status: PaymentStatus): boolean => status !== 'created';

/**
 * What a webhook event did: changed the order, arrived for a terminal order, waits for the order,
 * or paid an order already cancelled (which now owes a refund).
 */
export type PaymentEventOutcome = 'applied' | 'ignored' | 'pending' | 'late';

/** Decides what a payment event does to an order in a given status. */
export function decidePayment(
  order: { status: PaymentStatus; refundDue: boolean },
  reported: PaymentOutcome,
): { outcome: 'applied'; next: PaymentOutcome; returnsStock: boolean } | { outcome: 'late' } | { outcome: 'ignored' } {
  if (order.status === 'created') return { outcome: 'applied', next: reported, returnsStock: reported === 'failed' };
  // Paid after its deadline: the stock is gone back, so the money is owed back, once.
  if (order.status === 'cancelled' && reported === 'paid' && !order.refundDue) return { outcome: 'late' };
  return { outcome: 'ignored' };
}
