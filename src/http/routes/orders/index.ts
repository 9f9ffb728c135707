import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createOrder } from '../../../app/create-order.ts';
import { getOrder } from '../../../app/get-order.ts';
import { orderView } from '../../../app/views.ts';
import { holdNotFound } from '../../../domain/errors.ts';
import { problems, PUBLIC_SECURITY } from '../../schemas/common.ts';
import { Order } from '../../../contract/orders.ts';
import { CreateOrderBody, OrderParams } from '../../schemas/orders.ts';
import { isUuid } from '../../uuid.ts';
import { contextFor } from '../../request-context.ts';

const orders: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/orders',
    {
      schema: {
        tags: ['orders'],
        operationId: 'createOrder',
        security: PUBLIC_SECURITY,
        summary: 'Turn a live hold into an order',
        description:
          '201 with the new order; 200 with the same order when this hold was already ordered. ' +
          '409 hold-expired or hold-released when the hold can no longer be ordered.',
        body: CreateOrderBody,
        response: { 200: Order, 201: Order, ...problems(400, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { hold_id } = request.body;
      if (!isUuid(hold_id)) throw holdNotFound(hold_id);
      const { order, created } = await createOrder(contextFor(request), hold_id);
      if (created) reply.code(201).header('location', `/api/orders/${order.id}`);
      return orderView(order);
    },
  );

  app.get(
    '/api/orders/:order_id',
    {
      schema: {
        tags: ['orders'],
        operationId: 'getOrder',
        security: PUBLIC_SECURITY,
        summary: 'An order with its payment status',
        description:
          'An order still `created` past its `payment_due_at` is cancelled by this read if no other path has yet: ' +
          'it answers `cancelled`, and its stock is back.',
        params: OrderParams,
        response: { 200: Order, ...problems(400, 404) },
      },
    },
    async (request) => orderView(await getOrder(contextFor(request), request.params.order_id)),
  );
};

export default orders;
