import { Type } from 'typebox';
import { MAX_TOTAL_STOCK } from '../../domain/stock.ts';
import { MAX_PRICE } from '../../domain/money.ts';
import { Currency, Id, PageOf, PageQuery, Timestamp } from './common.ts';
import { Hold } from './holds.ts';
import { Order, PaymentStatus } from './orders.ts';
import { Product } from './products.ts';

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
  },
  { additionalProperties: false },
);

export const UpdateProductBody = Type.Object(
  { name: Type.Optional(Name), price: Type.Optional(Price) },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'Name and/or price. Stock changes only through stock adjustments.',
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
  { additionalProperties: false },
);

export const StockAdjustment = Type.Object({
  movement_id: Type.Integer(),
  product_id: Type.Integer(),
  delta: Type.Integer(),
  reason: Type.String(),
  available_after: Type.Integer(),
  product: Product,
});

export const Movement = Type.Object({
  id: Type.Integer(),
  product_id: Type.Integer(),
  delta: Type.Integer({ description: 'Change of available stock: negative when units left it.' }),
  reason: Type.Union([
    Type.Literal('initial'),
    Type.Literal('hold'),
    Type.Literal('hold_released'),
    Type.Literal('hold_expired'),
    Type.Literal('payment_failed'),
    Type.Literal('adjustment'),
  ]),
  note: Type.Union([Type.String(), Type.Null()], { description: "The operator's reason of an adjustment." }),
  hold_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  order_id: Type.Union([Type.Integer(), Type.Null()]),
  available_after: Type.Integer(),
  version: Type.Integer(),
  created_at: Timestamp,
});

export const AdminHold = Type.Object({
  ...Hold.properties,
  ended_by: Type.Union(
    [
      Type.Literal('order'),
      Type.Literal('client'),
      Type.Literal('job'),
      Type.Literal('sweeper'),
      Type.Literal('request'),
      Type.Null(),
    ],
    { description: 'What ended the hold: an order, the client, the expiry job, the sweeper or a request.' },
  ),
});

export const HoldListQuery = Type.Object({
  ...PageQuery.properties,
  status: Type.Optional(Hold.properties.status),
  product_id: Type.Optional(Id),
});

export const OrderListQuery = Type.Object({
  ...PageQuery.properties,
  status: Type.Optional(PaymentStatus),
  product_id: Type.Optional(Id),
});

export const MovementPage = PageOf(Movement);
export const HoldPage = PageOf(AdminHold);
export const OrderPage = PageOf(Order);
export { Order };
