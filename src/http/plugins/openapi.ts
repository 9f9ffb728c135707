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
          'application/problem+json (RFC 9457) with a stable `type`, a path on this service that answers a page ' +
          'about it. Prices and amounts are exact decimals in the ISO 4217 `currency` they come with.',
        license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
      },
      // Relative: the service that serves this document, whatever host it is reached by.
      servers: [{ url: '/', description: 'The service that serves this document (`npm start`: http://localhost:3000)' }],
      tags: [
        { name: 'products', description: 'Products and their available stock' },
        { name: 'holds', description: 'Short reservations of stock' },
        { name: 'orders', description: 'Orders made from holds' },
        { name: 'payments', description: 'Payment provider webhooks' },
        { name: 'operations', description: 'Health and metrics' },
        { name: 'admin', description: "The operator's API, behind Authorization: Bearer <ADMIN_TOKEN>" },
        { name: 'problems', description: 'Pages about the problem types of error responses' },
      ],
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'The ADMIN_TOKEN setting' },
          customerToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'When CUSTOMER_JWT_SECRET is set: an HS256 JWT signed with it, whose `sub` is the customer (`exp` enforced). ' +
              'Unset: holds need no token and the body names the customer.',
          },
          // Standard Webhooks: the three headers together, an HMAC-SHA256 of `id.timestamp.body`
          // with WEBHOOK_SECRET. OpenAPI has no HMAC scheme, so each header is an apiKey.
          webhookId: { type: 'apiKey', in: 'header', name: 'webhook-id', description: 'Standard Webhooks message id' },
          webhookTimestamp: {
            type: 'apiKey',
            in: 'header',
            name: 'webhook-timestamp',
            description: 'Standard Webhooks timestamp, in seconds; five minutes of tolerance',
          },
          webhookSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'webhook-signature',
            description:
              'Standard Webhooks signature `v1,<base64 HMAC-SHA256 of id.timestamp.body>` with WEBHOOK_SECRET; ' +
              'required when WEBHOOK_SECRET is set',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

export default fp(openapi, { name: 'openapi' });
