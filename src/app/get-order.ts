import { findOrder, type OrderRow } from '../adapters/postgres/orders.ts';
import { orderNotFound } from '../domain/errors.ts';
import { present } from '../domain/present.ts';
import { cancelUnpaidOrder } from './expiry/cancel-unpaid-orders.ts';
import type { AppContext } from './ports.ts';

/**
 * An order with its payment status as the database has it now. An order still `created` past its
 * payment deadline, whose job and sweeper have not run yet, is cancelled first: nobody is ever
 * shown an unpaid order as payable after its deadline.
 */
export async function getOrder(ctx: AppContext, orderId: number): Promise<OrderRow> {
  const order = await findOrder(ctx.pool, { id: orderId });
  if (!order) throw orderNotFound(orderId);
  if (!order.overdue) return order;
  // Whoever gets there first (this request, the job, the sweeper or a payment), it is decided now.
  await cancelUnpaidOrder(ctx, orderId, 'request');
  return present(await findOrder(ctx.pool, { id: orderId }), `order ${orderId}, read again`);
}
