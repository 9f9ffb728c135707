import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_PROBLEMS } from '../problem-types.ts';
import { sendProblem } from './problem.ts';

/** The OpenAPI security scheme the admin routes declare. */
export const ADMIN_SECURITY = [{ adminToken: [] }];

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * An `onRequest` hook for the admin routes: `Authorization: Bearer <ADMIN_TOKEN>` or 401. It runs
 * before the body is parsed or validated, so nothing about a request is revealed without the token.
 * Both sides are hashed first so the comparison takes the same time whatever the length or content
 * of the guess. Without a configured token the admin API is disabled (403), never open.
 */
export function requireAdminToken(token: string | undefined) {
  const expected = token ? digest(token) : null;
  // Returning the reply after sending it tells Fastify the request ends here.
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (!expected) {
      return sendProblem(reply, HTTP_PROBLEMS.adminDisabled, 'The admin API is disabled because ADMIN_TOKEN is not configured.');
    }
    const match = /^Bearer +([^\s]+) *$/i.exec(request.headers.authorization ?? '');
    const given = digest(match?.[1] ?? '');
    // Computed even without a header, so a missing token costs the same as a wrong one.
    const ok = timingSafeEqual(given, expected) && match !== null;
    if (!ok) {
      reply.header('www-authenticate', 'Bearer realm="flashsale-admin"');
      return sendProblem(reply, HTTP_PROBLEMS.unauthorized, 'Send Authorization: Bearer <ADMIN_TOKEN>.');
    }
    return undefined;
  };
}
