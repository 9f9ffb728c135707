import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, jwtVerify } from 'jose';
import { isCustomerId } from '../../domain/fair-sale.ts';
import { HTTP_PROBLEMS } from '../problem-types.ts';
import { sendProblem } from './problem.ts';

/** The OpenAPI security of POST /api/holds: anyone, or a customer token when the service asks for one. */
export const CUSTOMER_SECURITY: Record<string, string[]>[] = [{}, { customerToken: [] }];

/** Where a hold's customer comes from: the body, or the `sub` of a verified token. */
export type CustomerSource = { kind: 'body' } | { kind: 'token'; key: Uint8Array };

export function customerSource(secret: string | undefined): CustomerSource {
  return secret ? { kind: 'token', key: new TextEncoder().encode(secret) } : { kind: 'body' };
}

/**
 * A `preHandler` for POST /api/holds that settles who the buyer is, into `request.customerId`.
 * Without CUSTOMER_JWT_SECRET it is the body's `customer_id` (the shop's backend authenticated the
 * buyer). With it, buyers call the API themselves and a body field could be forged: the customer is
 * the `sub` of an HS256 JWT in `Authorization: Bearer`, signed with the secret, verified by jose
 * (only HS256, `exp` enforced when present); a body `customer_id` is then 400, and a missing,
 * malformed, wrongly signed or expired token 401. It runs before the Idempotency-Key claim, so a
 * refused token is never stored as a key's answer. It returns a promise only when it has a token to
 * verify: a body customer is settled at once.
 */
export function resolveCustomer(source: CustomerSource) {
  return (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> | undefined => {
    const bodyCustomer = (request.body as { customer_id?: string } | undefined)?.customer_id;
    if (source.kind === 'body') {
      request.customerId = bodyCustomer ?? null;
      return undefined;
    }
    return customerFromToken(source.key, bodyCustomer, request, reply);
  };
}

async function customerFromToken(
  key: Uint8Array,
  bodyCustomer: string | undefined,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  if (bodyCustomer !== undefined) {
    const message = 'must not be sent: the customer is the subject of the bearer token';
    return sendProblem(reply, HTTP_PROBLEMS.validation, `body /customer_id ${message}`, {
      errors: [{ location: 'body', pointer: '/customer_id', message }],
    });
  }
  const match = /^Bearer +([^\s]+) *$/i.exec(request.headers.authorization ?? '');
  const refuse = (detail: string) => {
    reply.header('www-authenticate', 'Bearer realm="flashsale-customer"');
    return sendProblem(reply, HTTP_PROBLEMS.unauthorized, detail);
  };
  if (!match?.[1]) return refuse('Send Authorization: Bearer <customer token>.');
  try {
    const { payload } = await jwtVerify(match[1], key, { algorithms: ['HS256'], requiredClaims: ['sub'] });
    if (typeof payload.sub !== 'string' || !isCustomerId(payload.sub)) {
      return refuse('The token names no customer: its sub must be 1-128 characters of A-Za-z0-9._:@-.');
    }
    request.customerId = payload.sub;
    return undefined;
  } catch (err) {
    if (err instanceof errors.JWTExpired) return refuse('The customer token has expired.');
    if (err instanceof errors.JOSEError) return refuse('The customer token is not valid.');
    throw err;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The buyer of a POST /api/holds, as resolveCustomer settled it; null for none. */
    customerId: string | null;
  }
}
