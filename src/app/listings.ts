import { listHoldRows, listMovementRows, listOrderRows, listProductRows, type Page } from '../adapters/postgres/listings.ts';
import { holdOf } from '../adapters/postgres/holds.ts';
import { findProduct } from '../adapters/postgres/products.ts';
import type { AdminHoldView } from '../contract/holds.ts';
import type { PageView } from '../contract/common.ts';
import type { OrderView } from '../contract/orders.ts';
import type { ProductView } from '../contract/products.ts';
import type { MovementView } from '../contract/stock.ts';
import { productNotFound } from '../domain/errors.ts';
import type { HoldStatus } from '../domain/hold.ts';
import type { PaymentStatus } from '../domain/order.ts';
import type { AppContext } from './ports.ts';
import { holdView, orderView, productView } from './views.ts';

type Ctx = Pick<AppContext, 'pool'>;

/** Fetches one row more than asked for, to know whether another page follows without counting. */
async function paged<R, T>(page: Page, fetch: (p: Page) => Promise<R[]>, view: (r: R) => T): Promise<PageView<T>> {
  const rows = await fetch({ limit: page.limit + 1, offset: page.offset });
  const more = rows.length > page.limit;
  return {
    items: rows.slice(0, page.limit).map(view),
    limit: page.limit,
    offset: page.offset,
    next_offset: more ? page.offset + page.limit : null,
  };
}

/** Products with the available stock the database holds (the truth, not the mirror). */
export const listProducts = (ctx: Ctx, page: Page): Promise<PageView<ProductView>> =>
  paged(
    page,
    (p) => listProductRows(ctx.pool, p),
    (r) => productView(r, r.available),
  );

/** A product's audit trail, newest first. */
export async function listMovements(ctx: Ctx, productId: number, page: Page): Promise<PageView<MovementView>> {
  if (!(await findProduct(ctx.pool, productId))) throw productNotFound(productId);
  return paged(
    page,
    (p) => listMovementRows(ctx.pool, productId, p),
    (m) => ({
      id: m.id,
      product_id: m.product_id,
      delta: m.delta,
      reason: m.reason,
      note: m.note,
      hold_id: m.hold_id,
      order_id: m.order_id,
      available_after: m.available_after,
      version: m.version,
      created_at: m.created_at.toISOString(),
    }),
  );
}

export const listHolds = (
  ctx: Ctx,
  filter: { status?: HoldStatus | undefined; productId?: number | undefined; customerId?: string | undefined },
  page: Page,
): Promise<PageView<AdminHoldView>> =>
  paged(
    page,
    (p) => listHoldRows(ctx.pool, filter, p),
    (h) => ({ ...holdView(holdOf(h)), ended_by: h.ended_by }),
  );

export const listOrders = (
  ctx: Ctx,
  filter: { status?: PaymentStatus | undefined; productId?: number | undefined; customerId?: string | undefined },
  page: Page,
): Promise<PageView<OrderView>> => paged(page, (p) => listOrderRows(ctx.pool, filter, p), orderView);
