import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import { listProducts } from '../../../app/listings.ts';
import { getProduct, knownProduct } from '../../../app/get-product.ts';
import { productView, type ProductDetails } from '../../../app/views.ts';
import { PageQuery, problems, PUBLIC_SECURITY } from '../../schemas/common.ts';
import { Product, ProductPage } from '../../../contract/products.ts';
import { ProductParams } from '../../schemas/products.ts';
import { contextFor } from '../../request-context.ts';

const JSON_UTF8 = 'application/json; charset=utf-8';
const MAX_ANSWERS = 10_000;

const products: FastifyPluginAsyncTypebox = async (app) => {
  // A product read during a sale answers the same document until its stock or details change.
  const answers = new Map<number, { details: ProductDetails; available: number; body: string }>();
  const { ctx, catalog } = app.flashsale;
  /** The bytes written for the product in this state (the same details object, the same stock), if any. */
  const keptBody = (id: number, known: { details: ProductDetails; available: number }): string | undefined => {
    const kept = answers.get(id);
    return kept?.details === known.details && kept.available === known.available ? kept.body : undefined;
  };
  // The hot lane (decision 29) answers a read with the bytes this route wrote for the product's
  // current state; the first read of each new state comes through the route and writes them.
  app.hotLane.get('/api/products/:id', '/api/products/', (rest) => {
    const id = Number(rest);
    if (!answers.has(id) || String(id) !== rest) return undefined;
    const known = knownProduct(ctx, catalog, id);
    const body = known && keptBody(id, known);
    return body === undefined ? undefined : { status: 200, contentType: JSON_UTF8, body };
  });
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
    async (request, reply) => {
      const id = request.params.id;
      const known = knownProduct(ctx, catalog, id);
      if (!known) return getProduct(contextFor(request), catalog, id);
      // The same bytes the route's serializer writes, written once per state of the product.
      let body = keptBody(id, known);
      if (body === undefined) {
        body = reply.serialize(productView(known.details, known.available)) as string; // the schema's serializer writes text
        if (answers.size >= MAX_ANSWERS) answers.clear();
        answers.set(id, { ...known, body });
      }
      // A string with a JSON content type goes out as it is (the schema's type is for the document).
      return reply.type(JSON_UTF8).send(body as unknown as Static<typeof Product>);
    },
  );
};

export default products;
