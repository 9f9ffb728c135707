import { Type } from 'typebox';
import { Id } from './common.ts';

export const PaymentWebhookBody = Type.Object({
  order_id: Id,
  payment_status: Type.Union([Type.Literal('paid'), Type.Literal('failed')]),
  idempotency_key: Type.String({ minLength: 1, maxLength: 255, description: 'Unique per payment event.' }),
});

export const PendingPayment = Type.Object({
  order_id: Type.Integer(),
  payment_status: Type.Union([Type.Literal('paid'), Type.Literal('failed')]),
  outcome: Type.Literal('pending'),
  detail: Type.String(),
});
