import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HTTP_PROBLEMS } from '../problem-types.ts';
import { problems } from '../schemas/common.ts';
import { sendProblem } from './problem.ts';
import { addResponses, hookList, isOneOf } from './route-hooks.ts';

export interface RateLimit {
  /** Requests allowed per client per window. */
  max: number;
  windowSeconds: number;
}

/** Rate limit of hold creation from HOLD_RATE_LIMIT_MAX / _WINDOW_SECONDS; none unless configured. */
export const holdRateLimitFrom = (config: {
  HOLD_RATE_LIMIT_MAX?: number;
  HOLD_RATE_LIMIT_WINDOW_SECONDS: number;
}): RateLimit | undefined =>
  config.HOLD_RATE_LIMIT_MAX
    ? { max: config.HOLD_RATE_LIMIT_MAX, windowSeconds: config.HOLD_RATE_LIMIT_WINDOW_SECONDS }
    : undefined;

/**
 * A fixed-window limit per client address on the given routes, counted in the shared store so
 * every process enforces the same budget. It runs on request, before parsing, so refused requests
 * cost nothing; if the store cannot answer, requests go through (the limit protects, it does not decide).
 */
async function rateLimit(app: FastifyInstance, opts: { routes: string[]; limit: RateLimit | undefined }): Promise<void> {
  const { limit } = opts;
  if (!limit) return;
  const routes = new Set(opts.routes);
  const windowMs = limit.windowSeconds * 1000;

  const check = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    let hits: { count: number; resetMs: number };
    try {
      hits = await request.server.flashsale.guards.rateCounter.hit(
        `${request.method}:${request.routeOptions.url}:${request.ip}`,
        windowMs,
      );
    } catch (err) {
      request.log.warn({ err }, 'rate limit store unavailable; request let through');
      return undefined;
    }
    const resetSeconds = Math.max(1, Math.ceil(hits.resetMs / 1000));
    reply.header('ratelimit-limit', String(limit.max));
    reply.header('ratelimit-remaining', String(Math.max(0, limit.max - hits.count)));
    reply.header('ratelimit-reset', String(resetSeconds));
    if (hits.count <= limit.max) return undefined;
    reply.header('retry-after', String(resetSeconds));
    return sendProblem(
      reply,
      HTTP_PROBLEMS.rateLimited,
      `At most ${limit.max} requests per ${limit.windowSeconds} s from one client here; retry in ${resetSeconds} s.`,
    );
  };

  app.addHook('onRoute', (route) => {
    if (!isOneOf(route, routes)) return;
    addResponses(route, problems(429));
    route.onRequest = [...hookList(route.onRequest), check] as typeof route.onRequest;
  });
}

export default fp(rateLimit, { name: 'rate-limit' });
