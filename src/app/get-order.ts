import { findOrder, type OrderRow } from '../adapters/postgres/orders.ts';
import { orderNotFound } from '../domain/errors.ts';
import type { AppContext } from './ports.ts';

/** An order with its payment status as the database has it now. */
export async function getOrder(ctx: Pick<AppContext, 'pool'>, orderId: number): Promise<OrderRow> {
  const order = await findOrder(ctx.pool, { id: orderId });
  if (!order) throw orderNotFound(orderId);
  return order;
}
