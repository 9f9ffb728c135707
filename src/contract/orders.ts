import { Type, type Static } from 'typebox';
import { PAYMENT_STATUSES } from '../domain/statuses.ts';
import { Currency, CustomerIdOrNull, OneOf, PageOf, Timestamp } from './common.ts';

export const PaymentStatus = OneOf(PAYMENT_STATUSES, {
  description:
    '`created` until paid; `paid` and `failed` as the payment provider reported; `cancelled` when still unpaid at ' +
    '`payment_due_at` (its stock came back). Only `created` ever changes.',
});

export const ORDER_EXAMPLE = {
  order_id: 1,
  hold_id: '6f1c2b4e-8d1a-4f0e-9c3b-5a7d2e9f1b30',
  customer_id: 'cus_8Hq2',
  product_id: 1,
  quantity: 2,
  items: [{ product_id: 1, quantity: 2, unit_price: 49.99, amount: 99.98 }],
  amount: 99.98,
  currency: 'USD',
  payment_status: 'created' as const,
  payment_due_at: '2026-12-01T12:16:00.000Z',
  refund_due: false,
  created_at: '2026-12-01T12:01:00.000Z',
  updated_at: '2026-12-01T12:01:00.000Z',
};

export const OrderLine = Type.Object({
  product_id: Type.Integer(),
  quantity: Type.Integer(),
  unit_price: Type.Number({ description: "The product's price when the order was created." }),
  amount: Type.Number({ description: 'Unit price times quantity, exact.' }),
});

export const Order = Type.Object(
  {
    order_id: Type.Integer(),
    hold_id: Type.String({ format: 'uuid' }),
    customer_id: CustomerIdOrNull,
    product_id: Type.Optional(Type.Integer({ description: 'One-line orders only: the product of their line.' })),
    quantity: Type.Optional(Type.Integer({ description: 'One-line orders only: the quantity of their line.' })),
    items: Type.Array(OrderLine, { description: 'The lines of the hold, each priced when the order was created.' }),
    amount: Type.Number({ description: "The sum of the lines' amounts, exact, in `currency`." }),
    currency: Currency,
    payment_status: PaymentStatus,
    payment_due_at: Type.Union([Timestamp, Type.Null()], {
      description:
        'When the order must be paid by (ORDER_PAYMENT_TTL_SECONDS after its creation, by the database clock): still ' +
        '`created` then, it becomes `cancelled` and its stock returns. Null for an order made without a deadline.',
    }),
    refund_due: Type.Boolean({
      description: 'True when a payment arrived after the order was cancelled: the buyer is owed the money back.',
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  {
    examples: [
      ORDER_EXAMPLE,
      {
        ...ORDER_EXAMPLE,
        order_id: 2,
        hold_id: '9b2e41c7-5a0d-4e3f-8c61-2d7b9e0f4a15',
        payment_status: 'cancelled',
        refund_due: true,
        updated_at: '2026-12-01T12:16:04.000Z',
      },
    ],
  },
);

export const OrderPage = PageOf(Order, ORDER_EXAMPLE);

export type OrderLineView = Static<typeof OrderLine>;
export type OrderView = Static<typeof Order>;
