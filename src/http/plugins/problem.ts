import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isDomainError, ServiceUnavailableError, type DomainError } from '../../domain/errors.ts';
import type { HotAnswer } from '../hot-lane.ts';
import { DOMAIN_PROBLEMS, HTTP_PROBLEMS, PROBLEM_BASE, type ProblemKind } from '../problem-types.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Sends an RFC 9457 problem document. */
export function sendProblem(
  reply: FastifyReply,
  kind: ProblemKind,
  detail: string | undefined,
  extra: Record<string, unknown> = {},
): FastifyReply {
  return reply
    .code(kind.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({
      // Extra members first, so none of them can overwrite the standard ones.
      ...extra,
      type: PROBLEM_BASE + kind.slug,
      title: kind.title,
      status: kind.status,
      ...(detail === undefined ? {} : { detail }),
      instance: reply.request.url.length > 512 ? undefined : reply.request.url,
      request_id: reply.request.id,
    });
}

/** A problem document serialized but for its per-request members (`instance`, `request_id`). */
interface PreparedProblem {
  status: number;
  head: string;
  tail: string;
  retryAfter: string | undefined;
}

// The members of every problem document, in the order the response schema (Problem) writes them.
const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance', 'request_id', 'code', 'errors']);

function prepare(err: DomainError): PreparedProblem {
  const kind = DOMAIN_PROBLEMS[err.code];
  const extra: Record<string, unknown> = { code: err.code };
  if (err.details['errors'] !== undefined) extra['errors'] = err.details['errors'];
  for (const [name, value] of Object.entries(err.details)) if (!STANDARD_MEMBERS.has(name)) extra[name] = value;
  const head = JSON.stringify({ type: PROBLEM_BASE + kind.slug, title: kind.title, status: kind.status, detail: err.message });
  return {
    status: kind.status,
    head: head.slice(0, -1),
    tail: `,${JSON.stringify(extra).slice(1)}`,
    retryAfter: err.retryAfterSeconds === undefined ? undefined : String(err.retryAfterSeconds),
  };
}

/**
 * Domain problems answered over and over with the same content, such as a sold-out product's
 * refusal during a storm: each is serialized once per content (`key`, which must name everything
 * the error says: product, stock, quantity), and an answer only adds its own `instance` and
 * `request_id`. The bytes and headers are those the error handler sends for the same error.
 */
export class PreparedProblems {
  private readonly prepared = new Map<string, PreparedProblem>();

  constructor(private readonly maxEntries = 1_000) {}

  /** The answer for `key` to one request: its `instance` (the URL) and `request_id` added. */
  answer(key: string, error: () => DomainError, url: string, id: string): HotAnswer {
    let p = this.prepared.get(key);
    if (!p) {
      if (this.prepared.size >= this.maxEntries) this.prepared.clear();
      p = prepare(error());
      this.prepared.set(key, p);
    }
    const instance = url.length > 512 ? '' : `,"instance":${JSON.stringify(url)}`;
    return {
      status: p.status,
      contentType: PROBLEM_JSON_UTF8,
      body: `${p.head}${instance},"request_id":${JSON.stringify(id)}${p.tail}`,
      retryAfter: p.retryAfter,
    };
  }

  send(reply: FastifyReply, key: string, error: () => DomainError): FastifyReply {
    const { status, contentType, body, retryAfter } = this.answer(key, error, reply.request.url, reply.request.id);
    if (retryAfter !== undefined) reply.header('retry-after', retryAfter);
    return reply.code(status).type(contentType).send(body);
  }
}

const PROBLEM_JSON_UTF8 = `${PROBLEM_CONTENT_TYPE}; charset=utf-8`;

// Errors a client request can cause in Fastify itself, by their code.
const FASTIFY_PROBLEMS: Record<string, ProblemKind> = {
  FST_ERR_CTP_BODY_TOO_LARGE: HTTP_PROBLEMS.payloadTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: HTTP_PROBLEMS.unsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: HTTP_PROBLEMS.badRequest,
  FST_ERR_CTP_EMPTY_JSON_BODY: HTTP_PROBLEMS.malformedJson,
  FST_ERR_CTP_INVALID_JSON_BODY: HTTP_PROBLEMS.malformedJson,
};

// PostgreSQL states and socket errors that mean "try again shortly", not "bug". Failures the driver
// reports without a code reach this handler as ServiceUnavailableError (adapters/postgres/db.ts).
const UNAVAILABLE_CODES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  '53300',
  '57014',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
]);

// PostgreSQL refusing the characters of a value (NUL, bad encoding): the input's fault, never a 500.
const UNSTORABLE_INPUT_CODES = new Set(['22021', '22P05']);

const isUnavailable = (err: Error & { code?: string }): boolean =>
  err instanceof ServiceUnavailableError || (err.code !== undefined && UNAVAILABLE_CODES.has(err.code));

/**
 * The one error handler: domain errors by their code, validation and parsing errors with what was
 * wrong, everything else as a 500 (or 503 when a backing service is down) that reveals nothing.
 */
async function problemPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isDomainError(err)) {
      if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
      return sendProblem(reply, DOMAIN_PROBLEMS[err.code], err.message, { code: err.code, ...err.details });
    }
    if (err.validation) {
      const errors = err.validation.map((v) =>
        v.keyword === 'required'
          ? {
              location: err.validationContext ?? 'body',
              pointer: `${v.instancePath}/${String(v.params['missingProperty'])}`,
              message: 'is required',
            }
          : { location: err.validationContext ?? 'body', pointer: v.instancePath || '/', message: v.message ?? 'is invalid' },
      );
      const first = errors[0];
      const detail = first
        ? `${first.location} ${first.pointer === '/' ? '' : first.pointer + ' '}${first.message}`.trim()
        : undefined;
      return sendProblem(reply, HTTP_PROBLEMS.validation, detail, { errors });
    }
    const known = err.code ? FASTIFY_PROBLEMS[err.code] : undefined;
    if (known) return sendProblem(reply, known, err.message);
    if (err instanceof SyntaxError || (/JSON/.test(err.message) && (err.statusCode ?? 500) < 500)) {
      return sendProblem(reply, HTTP_PROBLEMS.malformedJson, 'The body could not be parsed as JSON.');
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      const kind = { ...HTTP_PROBLEMS.badRequest, status: err.statusCode };
      if (err.statusCode === 429) Object.assign(kind, HTTP_PROBLEMS.rateLimited);
      return sendProblem(reply, kind, err.message);
    }
    if (err.code && UNSTORABLE_INPUT_CODES.has(err.code)) {
      return sendProblem(reply, HTTP_PROBLEMS.badRequest, 'The request contains characters that cannot be stored.');
    }
    if (isUnavailable(err)) {
      request.log.error({ err }, 'backing service unavailable');
      reply.header('retry-after', '1');
      return sendProblem(reply, HTTP_PROBLEMS.unavailable, 'A backing service is unavailable; retry shortly.');
    }
    request.log.error({ err }, 'unhandled error');
    return sendProblem(reply, HTTP_PROBLEMS.internal, 'Something went wrong; the request id identifies it in the logs.');
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, HTTP_PROBLEMS.notFound, `No route for ${request.method} ${request.url.split('?')[0]}.`),
  );
}

export default fp(problemPlugin, { name: 'problem' });
