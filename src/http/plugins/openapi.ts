import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** OpenAPI 3 generated from the route schemas, served at /openapi.json, with Swagger UI at /docs. */
async function openapi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'flashsale',
        version: '0.1.0',
        description:
          'Sells limited stock under extreme concurrency without ever overselling. Errors are ' +
          'application/problem+json (RFC 9457) with a stable `type`.',
      },
      tags: [
        { name: 'products', description: 'Products and their available stock' },
        { name: 'holds', description: 'Short reservations of stock' },
        { name: 'orders', description: 'Orders made from holds' },
        { name: 'payments', description: 'Payment provider webhooks' },
        { name: 'operations', description: 'Health and metrics' },
        { name: 'admin', description: "The operator's API, behind Authorization: Bearer <ADMIN_TOKEN>" },
      ],
      components: {
        securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'The ADMIN_TOKEN setting' } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

export default fp(openapi, { name: 'openapi' });
