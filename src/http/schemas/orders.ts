import { Type } from 'typebox';
import { Id, Timestamp } from './common.ts';

export const CreateOrderBody = Type.Object({
  hold_id: Type.String({ minLength: 1, maxLength: 64, description: 'An active hold to turn into an order.' }),
});

export const OrderParams = Type.Object({ order_id: Id });

export const PaymentStatus = Type.Union([Type.Literal('created'), Type.Literal('paid'), Type.Literal('failed')]);

export const Order = Type.Object({
  order_id: Type.Integer(),
  hold_id: Type.String({ format: 'uuid' }),
  product_id: Type.Integer(),
  quantity: Type.Integer(),
  amount: Type.Number({ description: 'Unit price times quantity, two decimals.' }),
  payment_status: PaymentStatus,
  created_at: Timestamp,
  updated_at: Timestamp,
});
