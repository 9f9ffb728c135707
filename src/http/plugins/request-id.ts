import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// An id from a proxy in front is kept so one id follows a request across services; anything that
// does not look like an id is replaced, so a client cannot write arbitrary text into every log line.
const ACCEPTED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's `genReqId`: the caller's `x-request-id` when it is a sane id, a new UUID otherwise. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && ACCEPTED_ID.test(given) ? given : randomUUID();
}
