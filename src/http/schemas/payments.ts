import { Type } from 'typebox';
import { Id } from '../../contract/common.ts';

export const PaymentWebhookBody = Type.Object(
  {
    order_id: Id,
    payment_status: Type.Union([Type.Literal('paid'), Type.Literal('failed')]),
    idempotency_key: Type.String({
      minLength: 1,
      maxLength: 255,
      // PostgreSQL text cannot hold NUL; no control character belongs in a key anyway.
      pattern: '^[^\\u0000-\\u001f\\u007f]+$',
      description: 'Unique per payment event; printable characters.',
    }),
  },
  { examples: [{ order_id: 1, payment_status: 'paid', idempotency_key: 'evt_2Jc8s0Q1' }] },
);
