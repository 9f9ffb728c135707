/**
 * The status lists of the contract, written once: the TypeBox schemas of the API are built from
 * them, and test/integration/status-lists.test.ts compares them with the CHECK constraints the
 * migrations put in the database.
 */

/** A hold reserves stock for a short time. Only `active` holds count as held stock; the others are final. */
export const HOLD_STATUSES = ['active', 'confirmed', 'expired', 'released'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/** Who ended a hold: the order that confirmed it, the client, the expiry job, the sweeper, or a
 * request that found it overdue before either of them ran. */
export const HOLD_ENDERS = ['order', 'client', 'job', 'sweeper', 'request'] as const;
export type HoldEndedBy = (typeof HOLD_ENDERS)[number];

/**
 * Payment status of an order. `paid`, `failed` and `cancelled` are terminal: they never change
 * again. `cancelled` is an order still `created` when its payment deadline passed: its stock came
 * back, and a payment that arrives later only marks it `refund_due`.
 */
export const PAYMENT_STATUSES = ['created', 'paid', 'failed', 'cancelled'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
