import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { SECURITY_HEADERS } from './security-headers.ts';

const SECURITY_HEADER_ENTRIES = Object.entries(SECURITY_HEADERS);

/**
 * Every response carries `x-request-id` (the use cases log through the request's logger, which
 * adds `reqId` to each line: routes hand it to them with `contextFor(request)`) and the security
 * headers. One hook sets them all, from a list built once (decision 26).
 */
async function responseHeaders(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    for (const [name, value] of SECURITY_HEADER_ENTRIES) reply.header(name, value);
    done();
  });
}

export default fp(responseHeaders, { name: 'response-headers' });
