import { Type } from 'typebox';
import { MAX_CART_LINES } from '../../domain/cart.ts';
import { HOLD_STATUSES } from '../../domain/statuses.ts';
import { CustomerId, CustomerIdOrNull, Id, OneOf, Timestamp } from './common.ts';

export const MAX_HOLD_QUANTITY = 1_000_000;

const Quantity = Type.Integer({ minimum: 1, maximum: MAX_HOLD_QUANTITY, description: 'Units to reserve.' });

export const HoldLine = Type.Object({ product_id: Id, quantity: Quantity });

const HoldCustomer = Type.Optional({
  ...CustomerId,
  description:
    'The buyer, as the shop that authenticated them knows them; needed on products limited per customer. ' +
    'Refused (400) when CUSTOMER_JWT_SECRET is set: the customer is then the `sub` of the bearer token.',
});

/** One product (`product_id`, `quantity`), or a cart (`items`); never both. */
export const PlaceHoldBody = Type.Union(
  [
    Type.Object(
      { product_id: Id, quantity: Quantity, customer_id: HoldCustomer },
      {
        not: { properties: { items: {} }, required: ['items'] },
        title: 'One product',
        description: 'A hold of one product: a cart of one line.',
      },
    ),
    Type.Object(
      {
        items: Type.Array(HoldLine, {
          minItems: 1,
          maxItems: MAX_CART_LINES,
          description: `1 to ${MAX_CART_LINES} lines, each product at most once (a repeated product is 400 duplicate-product).`,
        }),
        customer_id: HoldCustomer,
      },
      {
        not: {
          anyOf: [
            { properties: { product_id: {} }, required: ['product_id'] },
            { properties: { quantity: {} }, required: ['quantity'] },
          ],
        },
        title: 'Cart',
        description: 'Every line is reserved, or none.',
      },
    ),
  ],
  {
    examples: [
      { product_id: 1, quantity: 2 },
      { product_id: 2, quantity: 1, customer_id: 'cus_8Hq2' },
      {
        items: [
          { product_id: 1, quantity: 2 },
          { product_id: 2, quantity: 1 },
        ],
        customer_id: 'cus_8Hq2',
      },
    ],
  },
);

export const HoldParams = Type.Object({
  hold_id: Type.String({ minLength: 1, maxLength: 64, description: 'The hold id (a UUID).' }),
});

export const HOLD_EXAMPLE = {
  hold_id: '6f1c2b4e-8d1a-4f0e-9c3b-5a7d2e9f1b30',
  customer_id: 'cus_8Hq2',
  product_id: 1,
  quantity: 2,
  items: [{ product_id: 1, quantity: 2 }],
  status: 'active' as const,
  expires_at: '2026-12-01T12:02:00.000Z',
  created_at: '2026-12-01T12:00:00.000Z',
  ended_at: null,
};

export const Hold = Type.Object(
  {
    hold_id: Type.String({ format: 'uuid' }),
    customer_id: CustomerIdOrNull,
    product_id: Type.Optional(Type.Integer({ description: 'One-line holds only: the product of their line.' })),
    quantity: Type.Optional(Type.Integer({ description: 'One-line holds only: the quantity of their line.' })),
    items: Type.Array(HoldLine, { description: 'The lines, in the order they were asked for.' }),
    status: OneOf(HOLD_STATUSES),
    expires_at: Timestamp,
    created_at: Timestamp,
    ended_at: Type.Union([Timestamp, Type.Null()]),
  },
  { examples: [HOLD_EXAMPLE] },
);
