import { Type } from 'typebox';
import { MAX_TOTAL_STOCK } from '../../domain/stock.ts';
import { MAX_PRICE } from '../../domain/money.ts';
import { Currency, CustomerId, Id } from '../../contract/common.ts';
import { Hold } from '../../contract/holds.ts';
import { PaymentStatus } from '../../contract/orders.ts';
import { MaxPerCustomer, SaleEndsAt, SaleStartsAt } from '../../contract/products.ts';
import { PageQuery } from './common.ts';

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Shown to buyers.' });
const Price = Type.Number({
  minimum: 0,
  maximum: MAX_PRICE,
  description:
    "Unit price in the product's currency, with at most its minor unit's decimals (USD 0.01, JPY 1, KWD 0.001): " +
    'more is 400 validation-error, never rounded.',
});

export const CreateProductBody = Type.Object(
  {
    name: Name,
    price: Price,
    currency: Type.Optional({ ...Currency, description: 'ISO 4217 currency code; CURRENCY (default USD) when absent.' }),
    stock: Type.Integer({ minimum: 0, maximum: MAX_TOTAL_STOCK, description: 'Initial units, all available.' }),
    max_per_customer: Type.Optional(MaxPerCustomer),
    sale_starts_at: Type.Optional(SaleStartsAt),
    sale_ends_at: Type.Optional(SaleEndsAt),
  },
  {
    additionalProperties: false,
    examples: [
      { name: 'Limited Sneakers', price: 129, currency: 'EUR', stock: 50 },
      { name: 'Drop: Retro Console', price: 299, stock: 100, max_per_customer: 1, sale_starts_at: '2026-12-05T12:00:00Z' },
    ],
  },
);

export const UpdateProductBody = Type.Object(
  {
    name: Type.Optional(Name),
    price: Type.Optional(Price),
    max_per_customer: Type.Optional(MaxPerCustomer),
    sale_starts_at: Type.Optional(SaleStartsAt),
    sale_ends_at: Type.Optional(SaleEndsAt),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description:
      'Name, price, limit per customer and/or sale window; null clears a limit or a window edge. Stock changes only through stock adjustments.',
    examples: [
      { name: 'Flash Sale Item (last units)', price: 39.99 },
      { max_per_customer: 2, sale_starts_at: '2026-12-05T12:00:00Z', sale_ends_at: '2026-12-05T13:00:00Z' },
      { max_per_customer: null, sale_ends_at: null },
    ],
  },
);

export const StockAdjustmentBody = Type.Object(
  {
    delta: Type.Integer({
      minimum: -MAX_TOTAL_STOCK,
      maximum: MAX_TOTAL_STOCK,
      not: { const: 0 },
      description: 'Units to add (restock, > 0) or remove (write-off, < 0); never 0.',
    }),
    reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'Why, for the audit trail.' }),
  },
  { additionalProperties: false, examples: [{ delta: 50, reason: 'restock from warehouse' }] },
);

export const HoldListQuery = Type.Object({
  ...PageQuery.properties,
  status: Type.Optional(Hold.properties.status),
  product_id: Type.Optional(Id),
  customer_id: Type.Optional(CustomerId),
});

export const OrderListQuery = Type.Object({
  ...PageQuery.properties,
  status: Type.Optional(PaymentStatus),
  product_id: Type.Optional(Id),
  customer_id: Type.Optional(CustomerId),
});
