import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getProduct } from '../../../app/get-product.ts';
import { problems } from '../../schemas/common.ts';
import { Product, ProductParams } from '../../schemas/products.ts';

const products: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/products/:id',
    {
      schema: {
        tags: ['products'],
        summary: 'A product with its available stock',
        description: 'Available stock comes from the Redis mirror, rebuilt from PostgreSQL when missing.',
        params: ProductParams,
        response: { 200: Product, ...problems(400, 404) },
      },
    },
    async (request) => getProduct(app.flashsale.ctx, app.flashsale.catalog, request.params.id),
  );
};

export default products;
