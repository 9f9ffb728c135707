import { Type, type Static } from 'typebox';
import { Currency, PageOf, Timestamp } from './common.ts';

export const PRODUCT_EXAMPLE = {
  id: 1,
  name: 'Flash Sale Item',
  price: 49.99,
  currency: 'USD',
  available_stock: 100,
  total_stock: 100,
  max_per_customer: 2,
  sale_starts_at: '2026-12-01T12:00:00.000Z',
  sale_ends_at: null,
};

/** Units one customer may hold and buy of a product; null: no limit. */
export const MaxPerCustomer = Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), Type.Null()], {
  description:
    'Units one customer may have of the product: their active holds plus their orders created or paid. Null: no limit. A hold past it is 409 purchase-limit-exceeded; a hold without a customer is 400 customer-required.',
});

/** When holds open (null: already) and close (null: never), by the database clock. */
export const SaleStartsAt = Type.Union([Timestamp, Type.Null()], {
  description: 'When holds open, an ISO 8601 time with its offset; before it a hold is 409 sale-not-started. Null: open now.',
});
export const SaleEndsAt = Type.Union([Timestamp, Type.Null()], {
  description:
    'When holds close, after sale_starts_at; from then on a hold is 409 sale-ended (a hold placed before may still become an order). Null: never.',
});

export const Product = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    price: Type.Number({ description: "Unit price in `currency`, with at most the currency's decimals (its minor unit)." }),
    currency: Currency,
    available_stock: Type.Integer({ description: 'Units that can still be held, from the Redis mirror.' }),
    total_stock: Type.Integer({ description: 'Units available, held and ordered (not failed) together.' }),
    max_per_customer: MaxPerCustomer,
    sale_starts_at: SaleStartsAt,
    sale_ends_at: SaleEndsAt,
  },
  { examples: [PRODUCT_EXAMPLE] },
);

export const ProductPage = PageOf(Product, PRODUCT_EXAMPLE);

export type ProductView = Static<typeof Product>;
