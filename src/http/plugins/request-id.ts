import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { runInLogScope } from '../../app/log-scope.ts';

// An id from a proxy in front is kept so one id follows a request across services; anything that
// does not look like an id is replaced, so a client cannot write arbitrary text into every log line.
const ACCEPTED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's `genReqId`: the caller's `x-request-id` when it is a sane id, a new UUID otherwise. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && ACCEPTED_ID.test(given) ? given : randomUUID();
}

/**
 * Every response carries `x-request-id`, and everything logged while a request is served (in the
 * use cases too) goes through that request's logger, which adds `reqId` to the line.
 */
async function requestIdPlugin(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    runInLogScope(request.log, done);
  });
  // Reading the body continues in the socket's async context, not the request's: enter the scope
  // again right before the handler runs.
  app.addHook('preHandler', (request, _reply, done) => {
    runInLogScope(request.log, done);
  });
}

export default fp(requestIdPlugin, { name: 'request-id' });
