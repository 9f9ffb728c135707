import type { OrderRow } from '../adapters/postgres/orders.ts';
import type { ProductRow } from '../adapters/postgres/products.ts';
import type { HoldView } from '../contract/holds.ts';
import type { OrderView } from '../contract/orders.ts';
import type { ProductView } from '../contract/products.ts';
import type { Hold } from '../domain/hold.ts';

/**
 * The public representations of orders, holds and products, built from the database's rows and
 * the domain's holds. They are made here rather than in the HTTP layer because webhook responses
 * are stored and replayed byte for byte; their types are the contract's schemas (`Static<>`), so
 * a field the schema does not have, or lacks, fails to compile.
 */

/** A one-line hold or order also shows its line at the top level, so older clients see no change. */
const topLevelLine = ([only, ...rest]: readonly { product_id: number; quantity: number }[]) =>
  only && rest.length === 0 ? { product_id: only.product_id, quantity: only.quantity } : {};

export const orderView = (o: OrderRow): OrderView => ({
  order_id: o.id,
  hold_id: o.hold_id,
  customer_id: o.customer_id,
  ...topLevelLine(o.items),
  items: o.items.map((l) => ({
    product_id: l.product_id,
    quantity: l.quantity,
    unit_price: Number(l.unit_price),
    amount: Number(l.amount),
  })),
  amount: Number(o.amount),
  currency: o.currency,
  payment_status: o.payment_status,
  payment_due_at: o.payment_due_at?.toISOString() ?? null,
  refund_due: o.refund_due,
  created_at: o.created_at.toISOString(),
  updated_at: o.updated_at.toISOString(),
});

export const holdView = (h: Hold): HoldView => {
  const items = h.lines.map((l) => ({ product_id: l.productId, quantity: l.quantity }));
  return {
    hold_id: h.id,
    customer_id: h.customerId,
    ...topLevelLine(items),
    items,
    status: h.status,
    expires_at: h.expiresAt.toISOString(),
    created_at: h.createdAt.toISOString(),
    ended_at: h.endedAt?.toISOString() ?? null,
  };
};

/** The columns a product's view needs. */
export type ProductDetails = Pick<
  ProductRow,
  'id' | 'name' | 'price' | 'currency' | 'total_stock' | 'max_per_customer' | 'sale_starts_at' | 'sale_ends_at'
>;

export const productView = (p: ProductDetails, available: number): ProductView => ({
  id: p.id,
  name: p.name,
  price: Number(p.price),
  currency: p.currency,
  available_stock: available,
  total_stock: p.total_stock,
  max_per_customer: p.max_per_customer,
  sale_starts_at: p.sale_starts_at?.toISOString() ?? null,
  sale_ends_at: p.sale_ends_at?.toISOString() ?? null,
});
