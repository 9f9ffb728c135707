/** Payment status of an order. `paid` and `failed` are terminal: they never change again. */
export const PaymentStatus = {
  Created: 'created',
  Paid: 'paid',
  Failed: 'failed',
} as const;
export type PaymentStatus = (typeof PaymentStatus)[keyof typeof PaymentStatus];
export const PAYMENT_STATUSES = Object.values(PaymentStatus);

/** What a payment provider may report. */
export type PaymentOutcome = 'paid' | 'failed';

export const isTerminalPayment = (status: PaymentStatus): boolean => status !== 'created';

/** What a webhook event did: changed the order, arrived for a terminal order, or waits for the order. */
export type PaymentEventOutcome = 'applied' | 'ignored' | 'pending';

export interface Order {
  id: number;
  holdId: string;
  productId: number;
  quantity: number;
  amount: string;
  paymentStatus: PaymentStatus;
  createdAt: Date;
  updatedAt: Date;
}

/** Decides what a payment event does to an order in a given status. */
export function decidePayment(
  current: PaymentStatus,
  reported: PaymentOutcome,
): { outcome: 'applied'; next: PaymentOutcome; returnsStock: boolean } | { outcome: 'ignored' } {
  if (isTerminalPayment(current)) return { outcome: 'ignored' };
  return { outcome: 'applied', next: reported, returnsStock: reported === 'failed' };
}
