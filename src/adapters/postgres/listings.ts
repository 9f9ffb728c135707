/** Paged reads for the product list and the admin lists; no writes. */
import type { HoldEndedBy, HoldStatus } from '../../domain/hold.ts';
import type { PaymentStatus } from '../../domain/order.ts';
import type { MovementReason } from '../../domain/stock.ts';
import { sql, type Db } from './db.ts';
import type { HoldFields } from './holds.ts';
import type { OrderRow } from './orders.ts';
import type { ProductRow } from './products.ts';

const SQL = {
  products: sql('list-products'),
  movements: sql('list-stock-movements'),
  holds: sql('list-holds'),
  orders: sql('list-orders'),
};

export interface Page {
  limit: number;
  offset: number;
}

export interface MovementRow {
  id: number;
  product_id: number;
  delta: number;
  reason: MovementReason;
  hold_id: string | null;
  order_id: number | null;
  note: string | null;
  available_after: number;
  version: number;
  created_at: Date;
}

export interface AdminHoldRow extends HoldFields {
  ended_at: Date | null;
  ended_by: HoldEndedBy | null;
}

export async function listProductRows(db: Db, page: Page): Promise<ProductRow[]> {
  const { rows } = await db.query<ProductRow>(SQL.products, [page.limit, page.offset]);
  return rows;
}

export async function listMovementRows(db: Db, productId: number, page: Page): Promise<MovementRow[]> {
  const { rows } = await db.query<MovementRow>(SQL.movements, [productId, page.limit, page.offset]);
  return rows;
}

export async function listHoldRows(
  db: Db,
  filter: { status?: HoldStatus | undefined; productId?: number | undefined; customerId?: string | undefined },
  page: Page,
): Promise<AdminHoldRow[]> {
  const { rows } = await db.query<AdminHoldRow>(SQL.holds, [
    filter.status ?? null,
    filter.productId ?? null,
    page.limit,
    page.offset,
    filter.customerId ?? null,
  ]);
  return rows;
}

export async function listOrderRows(
  db: Db,
  filter: { status?: PaymentStatus | undefined; productId?: number | undefined; customerId?: string | undefined },
  page: Page,
): Promise<OrderRow[]> {
  const { rows } = await db.query<OrderRow>(SQL.orders, [
    filter.status ?? null,
    filter.productId ?? null,
    page.limit,
    page.offset,
    filter.customerId ?? null,
  ]);
  return rows;
}
