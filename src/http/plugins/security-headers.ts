import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Helmet's security headers on every response. The content security policy allows only this
 * origin's scripts, which is all Swagger UI at /docs loads; `upgrade-insecure-requests` is left
 * out because TLS ends in front of the service, and over plain HTTP it would break /docs.
 */
async function securityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: true,
      directives: { upgradeInsecureRequests: null },
    },
  });
}

export default fp(securityHeaders, { name: 'security-headers' });
