import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler, preHandlerHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { DomainError, ErrorCode } from '../../domain/errors.ts';
import { IDEMPOTENCY_RETENTION_SECONDS, IDEMPOTENCY_RETENTION_TEXT } from '../../domain/retention.ts';
import { HTTP_PROBLEMS } from '../problem-types.ts';
import { problems } from '../schemas/common.ts';
import { sendProblem } from './problem.ts';
import { addResponses, hookList, isOneOf } from './route-hooks.ts';

/** Keys expire after a day, as the IETF draft suggests; a retry after that runs again. */
export const IDEMPOTENCY_KEY_TTL_SECONDS = IDEMPOTENCY_RETENTION_SECONDS;
/** Longer than the request timeout, so a live request keeps its key; a crashed one frees it then. */
export const IN_FLIGHT_LOCK_SECONDS = 60;
const REPLAYED_HEADERS = ['content-type', 'location'] as const;

export const IdempotencyKeyHeaders = Type.Object(
  {
    'idempotency-key': Type.Optional(
      Type.String({
        pattern: '^"?[!#-~]{1,255}"?$',
        description:
          'A unique key per operation (a UUID, say), optionally quoted as a structured-field string. A retry ' +
          'with the same key and body gets the first response again with `Idempotent-Replayed: true` and ' +
          'changes nothing; another body is 422, a retry while the first is still running is 409. An answer ' +
          'that says when to retry (5xx, 409 sale-not-started with `Retry-After`) is not kept. Kept ' +
          `${IDEMPOTENCY_RETENTION_TEXT}.`,
      }),
    ),
  },
  { additionalProperties: true },
);

interface Claim {
  storageKey: string;
  fingerprint: string;
  token: string;
}
const claims = new WeakMap<FastifyRequest, Claim>();

/** Clients are told apart by their credentials when they send any; keys are meant to be unique anyway. */
const scopeOf = (request: FastifyRequest): string => {
  const auth = request.headers.authorization;
  return auth ? createHash('sha256').update(auth).digest('hex') : 'anonymous';
};

/** The same JSON whatever the order of its keys, so only a different payload counts as different. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

async function claimKey(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  const key = String(header).replace(/^"(.*)"$/, '$1');
  const storageKey = sha256(`${scopeOf(request)}\n${request.method} ${request.routeOptions.url}\n${key}`);
  const fingerprint = sha256(canonical(request.body));
  const store = request.server.flashsale.guards.requestIdempotency;

  let claim;
  try {
    claim = await store.claim(storageKey, fingerprint, IN_FLIGHT_LOCK_SECONDS);
  } catch (err) {
    // Going ahead unchecked could reserve twice for one retried request: refuse instead.
    request.log.error({ err }, 'idempotency keys unavailable');
    reply.header('retry-after', '1');
    return sendProblem(reply, HTTP_PROBLEMS.unavailable, 'Idempotency keys cannot be checked right now; retry shortly.');
  }
  if (claim.state === 'claimed') {
    claims.set(request, { storageKey, fingerprint, token: claim.token });
    return undefined;
  }
  if (claim.fingerprint !== fingerprint) {
    throw new DomainError(
      ErrorCode.IdempotencyKeyReused,
      'This Idempotency-Key was already used with a different request body.',
      {
        idempotency_key: key,
      },
    );
  }
  if (claim.state === 'in_flight') {
    throw new DomainError(
      ErrorCode.IdempotencyKeyInFlight,
      'A request with this Idempotency-Key is still being processed; retry later.',
      {
        idempotency_key: key,
      },
    );
  }
  const { status, headers, body } = claim.response;
  return reply.code(status).headers(headers).header('idempotent-replayed', 'true').send(body);
}

async function recordResponse(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const claim = claims.get(request);
  if (!claim) return payload;
  claims.delete(request);
  const store = request.server.flashsale.guards.requestIdempotency;
  try {
    // A 5xx says nothing final about the operation, and an answer with Retry-After (a sale not
    // started yet) asks for the retry itself: the key is freed so that the retry runs again.
    if (reply.statusCode >= 500 || reply.getHeader('retry-after') !== undefined || typeof payload !== 'string') {
      await store.release(claim.storageKey, claim.token);
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    await store.complete(
      claim.storageKey,
      claim.fingerprint,
      { status: reply.statusCode, headers, body: payload },
      IDEMPOTENCY_KEY_TTL_SECONDS,
    );
  } catch (err) {
    // The in-flight record expires by itself; until then a retry is told to wait (409).
    request.log.warn({ err }, 'could not record the response of an idempotency key');
  }
  return payload;
}

// Most requests carry no key: they go on at once, without a promise (and its turn of the event loop).
const claimHook: preHandlerHookHandler = (request, reply, done) => {
  if (request.headers['idempotency-key'] === undefined) return done();
  void claimKey(request, reply).then(() => done(), done);
};

const recordHook: onSendHookHandler = (request, reply, payload, done) => {
  if (!claims.has(request)) return done(null, payload);
  void recordResponse(request, reply, payload).then((p) => done(null, p), done);
};

/**
 * The `Idempotency-Key` request header (IETF httpapi-idempotency-key-header) on the given routes:
 * the header joins their schema, a claim runs before the handler and the response is recorded on send.
 */
async function idempotencyKey(app: FastifyInstance, opts: { routes: string[] }): Promise<void> {
  const routes = new Set(opts.routes);
  app.addHook('onRoute', (route) => {
    if (!isOneOf(route, routes)) return;
    const schema = (route.schema ??= {});
    const declared = schema.headers as { properties?: Record<string, unknown> } | undefined;
    schema.headers = declared?.properties
      ? { ...declared, properties: { ...declared.properties, ...IdempotencyKeyHeaders.properties } }
      : IdempotencyKeyHeaders;
    addResponses(route, problems(409, 422, 503));
    route.preHandler = [...hookList(route.preHandler), claimHook] as typeof route.preHandler;
    route.onSend = [...hookList(route.onSend), recordHook] as typeof route.onSend;
  });
}

export default fp(idempotencyKey, { name: 'idempotency-key' });
