import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listProducts } from '../../../app/listings.ts';
import { getProduct } from '../../../app/get-product.ts';
import { PageQuery, problems, PUBLIC_SECURITY } from '../../schemas/common.ts';
import { Product, ProductPage } from '../../../contract/products.ts';
import { ProductParams } from '../../schemas/products.ts';
import { contextFor } from '../../request-context.ts';

const products: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/products',
    {
      schema: {
        tags: ['products'],
        operationId: 'listProducts',
        security: PUBLIC_SECURITY,
        summary: 'Products by id, a page at a time',
        description: 'Available stock as the database holds it. `next_offset` is null on the last page.',
        querystring: PageQuery,
        response: { 200: ProductPage, ...problems(400) },
      },
    },
    async (request) => listProducts(contextFor(request), request.query),
  );

  app.get(
    '/api/products/:id',
    {
      schema: {
        tags: ['products'],
        operationId: 'getProduct',
        security: PUBLIC_SECURITY,
        summary: 'A product with its available stock',
        description: 'Available stock comes from the Redis mirror, rebuilt from PostgreSQL when missing.',
        params: ProductParams,
        response: { 200: Product, ...problems(400, 404) },
      },
    },
    async (request) => getProduct(contextFor(request), app.flashsale.catalog, request.params.id),
  );
};

export default products;
