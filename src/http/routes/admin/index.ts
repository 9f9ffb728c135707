import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DEFAULT_CURRENCY } from '../../../domain/money.ts';
import { listHolds, listMovements, listOrders } from '../../../app/listings.ts';
import { adjustStock, createProduct, updateProduct } from '../../../app/manage-products.ts';
import { ADMIN_SECURITY, requireAdminToken } from '../../plugins/admin-auth.ts';
import { HoldPage } from '../../../contract/holds.ts';
import { OrderPage } from '../../../contract/orders.ts';
import { Product } from '../../../contract/products.ts';
import { MovementPage, StockAdjustment } from '../../../contract/stock.ts';
import { CreateProductBody, HoldListQuery, OrderListQuery, StockAdjustmentBody, UpdateProductBody } from '../../schemas/admin.ts';
import { PageQuery, problems } from '../../schemas/common.ts';
import { ProductParams } from '../../schemas/products.ts';
import type { FastifyRequest } from 'fastify';
import { contextFor } from '../../request-context.ts';

/** The operator's API under /api/admin, every route behind the admin token. */
const admin: FastifyPluginAsyncTypebox = async (app) => {
  const { catalog } = app.flashsale;
  const currency = app.flashsale.currency ?? DEFAULT_CURRENCY;
  const adminCtx = (request: FastifyRequest) => ({ ...contextFor(request), catalog, currency });
  // Encapsulated: this hook guards the routes of this plugin only.
  app.addHook('onRequest', requireAdminToken(app.flashsale.adminToken));
  const common = { tags: ['admin'], security: ADMIN_SECURITY };

  app.post(
    '/api/admin/products',
    {
      schema: {
        ...common,
        operationId: 'createProduct',
        summary: 'Create a product with its initial stock, and optionally a limit per customer and a sale window',
        body: CreateProductBody,
        response: { 201: Product, ...problems(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const product = await createProduct(adminCtx(request), request.body);
      return reply.code(201).header('location', `/api/products/${product.id}`).send(product);
    },
  );

  app.patch(
    '/api/admin/products/:id',
    {
      schema: {
        ...common,
        operationId: 'updateProduct',
        summary: 'Rename or reprice a product, or change its limit per customer or sale window',
        params: ProductParams,
        body: UpdateProductBody,
        response: { 200: Product, ...problems(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request) => updateProduct(adminCtx(request), request.params.id, request.body),
  );

  app.post(
    '/api/admin/products/:id/stock-adjustments',
    {
      schema: {
        ...common,
        operationId: 'adjustStock',
        summary: 'Restock (delta > 0) or write off (delta < 0) units',
        description:
          'Available and total stock move together in one conditional update, recorded as an ' +
          "'adjustment' movement. 409 stock-below-zero when it would take available stock below zero.",
        params: ProductParams,
        body: StockAdjustmentBody,
        response: { 201: StockAdjustment, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const adjustment = await adjustStock(adminCtx(request), { productId: request.params.id, ...request.body });
      return reply.code(201).send(adjustment);
    },
  );

  app.get(
    '/api/admin/products/:id/movements',
    {
      schema: {
        ...common,
        operationId: 'listStockMovements',
        summary: "A product's stock movements (audit trail), newest first",
        params: ProductParams,
        querystring: PageQuery,
        response: { 200: MovementPage, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => listMovements(contextFor(request), request.params.id, request.query),
  );

  app.get(
    '/api/admin/holds',
    {
      schema: {
        ...common,
        operationId: 'listHolds',
        summary: 'Holds, newest first, optionally by status, product and customer',
        querystring: HoldListQuery,
        response: { 200: HoldPage, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const { status, product_id, customer_id, limit, offset } = request.query;
      return listHolds(contextFor(request), { status, productId: product_id, customerId: customer_id }, { limit, offset });
    },
  );

  app.get(
    '/api/admin/orders',
    {
      schema: {
        ...common,
        operationId: 'listOrders',
        summary: 'Orders, newest first, optionally by payment status, product and customer',
        querystring: OrderListQuery,
        response: { 200: OrderPage, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const { status, product_id, customer_id, limit, offset } = request.query;
      return listOrders(contextFor(request), { status, productId: product_id, customerId: customer_id }, { limit, offset });
    },
  );
};

export default admin;
