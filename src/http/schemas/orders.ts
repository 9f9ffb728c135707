import { Type } from 'typebox';
import { Currency, Id, Timestamp } from './common.ts';

export const CreateOrderBody = Type.Object({
  hold_id: Type.String({ minLength: 1, maxLength: 64, description: 'An active hold to turn into an order.' }),
});

export const OrderParams = Type.Object({ order_id: Id });

export const PaymentStatus = Type.Union([Type.Literal('created'), Type.Literal('paid'), Type.Literal('failed')]);

export const OrderLine = Type.Object({
  product_id: Type.Integer(),
  quantity: Type.Integer(),
  unit_price: Type.Number({ description: "The product's price when the order was created." }),
  amount: Type.Number({ description: 'Unit price times quantity, two decimals.' }),
});

export const Order = Type.Object({
  order_id: Type.Integer(),
  hold_id: Type.String({ format: 'uuid' }),
  product_id: Type.Optional(Type.Integer({ description: 'One-line orders only: the product of their line.' })),
  quantity: Type.Optional(Type.Integer({ description: 'One-line orders only: the quantity of their line.' })),
  items: Type.Array(OrderLine, { description: 'The lines of the hold, each priced when the order was created.' }),
  amount: Type.Number({ description: "The sum of the lines' amounts, exact, in `currency`." }),
  currency: Currency,
  payment_status: PaymentStatus,
  created_at: Timestamp,
  updated_at: Timestamp,
});
