import { Type } from 'typebox';
import { MAX_CART_LINES } from '../../domain/cart.ts';
import { CustomerId, Id } from '../../contract/common.ts';
import { HoldLine, HoldQuantity } from '../../contract/holds.ts';

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
      { product_id: Id, quantity: HoldQuantity, customer_id: HoldCustomer },
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
