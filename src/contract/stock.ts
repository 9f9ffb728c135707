import { Type, type Static } from 'typebox';
import { PageOf, Timestamp } from './common.ts';
import { Product, PRODUCT_EXAMPLE } from './products.ts';

/** The answer to a stock adjustment: its movement and the product after it. */
export const StockAdjustment = Type.Object(
  {
    movement_id: Type.Integer(),
    product_id: Type.Integer(),
    delta: Type.Integer(),
    reason: Type.String(),
    available_after: Type.Integer(),
    product: Product,
  },
  {
    examples: [
      {
        movement_id: 7,
        product_id: 1,
        delta: 50,
        reason: 'restock from warehouse',
        available_after: 150,
        product: { ...PRODUCT_EXAMPLE, available_stock: 150, total_stock: 150 },
      },
    ],
  },
);

const MOVEMENT_EXAMPLE = {
  id: 7,
  product_id: 1,
  delta: 50,
  reason: 'adjustment' as const,
  note: 'restock from warehouse',
  hold_id: null,
  order_id: null,
  available_after: 150,
  version: 12,
  created_at: '2026-12-01T12:00:00.000Z',
};

/** One entry of a product's audit trail. */
export const Movement = Type.Object(
  {
    id: Type.Integer(),
    product_id: Type.Integer(),
    delta: Type.Integer({ description: 'Change of available stock: negative when units left it.' }),
    reason: Type.Union([
      Type.Literal('initial'),
      Type.Literal('hold'),
      Type.Literal('hold_released'),
      Type.Literal('hold_expired'),
      Type.Literal('payment_failed'),
      Type.Literal('order_cancelled'),
      Type.Literal('adjustment'),
    ]),
    note: Type.Union([Type.String(), Type.Null()], { description: "The operator's reason of an adjustment." }),
    hold_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    order_id: Type.Union([Type.Integer(), Type.Null()]),
    available_after: Type.Integer(),
    version: Type.Integer(),
    created_at: Timestamp,
  },
  { examples: [MOVEMENT_EXAMPLE] },
);

export const MovementPage = PageOf(Movement, MOVEMENT_EXAMPLE);

export type StockAdjustmentView = Static<typeof StockAdjustment>;
export type MovementView = Static<typeof Movement>;
