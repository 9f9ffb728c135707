import { Type, type Static } from 'typebox';

/** The answer (202) to a payment event for an order that does not exist yet. */
export const PendingPayment = Type.Object(
  {
    order_id: Type.Integer(),
    payment_status: Type.Union([Type.Literal('paid'), Type.Literal('failed')]),
    outcome: Type.Literal('pending'),
    detail: Type.String(),
  },
  {
    examples: [
      {
        order_id: 42,
        payment_status: 'paid',
        outcome: 'pending',
        detail: 'Order 42 does not exist yet; the event is kept and applied when it is created.',
      },
    ],
  },
);

export type PendingPaymentView = Static<typeof PendingPayment>;
