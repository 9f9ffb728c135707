import type { HoldRow } from '../adapters/postgres/holds.ts';
import type { OrderRow } from '../adapters/postgres/orders.ts';
import type { ProductRow } from '../adapters/postgres/products.ts';
import type { Hold, HoldStatus } from '../domain/hold.ts';
import type { PaymentStatus } from '../domain/order.ts';

/**
 * The public representations of orders, holds and products. They live here rather than in the
 * HTTP layer because webhook responses are stored and replayed byte for byte.
 */
export interface OrderView {
  order_id: number;
  hold_id: string;
  product_id: number;
  quantity: number;
  amount: number;
  payment_status: PaymentStatus;
  created_at: string;
  updated_at: string;
}

export const orderView = (o: OrderRow): OrderView => ({
  order_id: o.id,
  hold_id: o.hold_id,
  product_id: o.product_id,
  quantity: o.quantity,
  amount: Number(o.amount),
  payment_status: o.payment_status,
  created_at: o.created_at.toISOString(),
  updated_at: o.updated_at.toISOString(),
});

export interface HoldView {
  hold_id: string;
  product_id: number;
  quantity: number;
  status: HoldStatus;
  expires_at: string;
  created_at: string;
  ended_at: string | null;
}

/** The columns a hold's view needs, whichever query read them. */
export type HoldRecord = Pick<HoldRow, 'id' | 'product_id' | 'quantity' | 'status' | 'expires_at' | 'created_at' | 'ended_at'>;

export const holdView = (h: Hold | HoldRecord): HoldView =>
  'productId' in h
    ? {
        hold_id: h.id,
        product_id: h.productId,
        quantity: h.quantity,
        status: h.status,
        expires_at: h.expiresAt.toISOString(),
        created_at: h.createdAt.toISOString(),
        ended_at: null,
      }
    : {
        hold_id: h.id,
        product_id: h.product_id,
        quantity: h.quantity,
        status: h.status,
        expires_at: h.expires_at.toISOString(),
        created_at: h.created_at.toISOString(),
        ended_at: h.ended_at?.toISOString() ?? null,
      };

export interface ProductView {
  id: number;
  name: string;
  price: number;
  available_stock: number;
  total_stock: number;
}

export const productView = (p: Pick<ProductRow, 'id' | 'name' | 'price' | 'total_stock'>, available: number): ProductView => ({
  id: p.id,
  name: p.name,
  price: Number(p.price),
  available_stock: available,
  total_stock: p.total_stock,
});
