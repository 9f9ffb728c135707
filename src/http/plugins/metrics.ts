import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { PUBLIC_SECURITY } from '../schemas/common.ts';
import { hookList } from './route-hooks.ts';

const METRICS_EXAMPLE =
  '# HELP flashsale_holds_placed_total Holds placed\n# TYPE flashsale_holds_placed_total counter\nflashsale_holds_placed_total 42\n';

/**
 * A latency observation for every request, labelled by route pattern (`/api/holds/:hold_id`) so
 * that ids do not multiply the series. Each route gets its own `onResponse` hook that knows its
 * pattern and keeps its series, so a request neither builds `request.routeOptions` nor looks its
 * labels up (decision 26); answers of the not-found handler are timed under `unmatched`.
 * Registered before any route, so that it sees every one.
 */
async function requestTiming(app: FastifyInstance): Promise<void> {
  const exporter = app.flashsale.metrics;
  if (!exporter) return;
  app.addHook('onRoute', (route) => {
    const record = exporter.requestTimer(route.url);
    const observe: onResponseHookHandler = (request, reply, done) => {
      record(request.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    };
    route.onResponse = [...hookList(route.onResponse), observe] as typeof route.onResponse;
  });
  const unmatched = exporter.requestTimer('unmatched');
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) unmatched(request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

/** GET /metrics in the Prometheus text format. */
async function metrics(app: FastifyInstance): Promise<void> {
  const exporter = app.flashsale.metrics;
  if (!exporter) return;

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getMetrics',
        security: PUBLIC_SECURITY,
        summary: 'Prometheus metrics',
        description: 'Request latency, holds, expiries and their lag, orders, webhooks, stock, mirror repairs, queue depth.',
        response: {
          200: {
            description: 'Prometheus text exposition format',
            content: { 'text/plain': { schema: Type.String({ examples: [METRICS_EXAMPLE] }) } },
          },
        },
      },
    },
    async (_request, reply) => {
      const { contentType, body } = await exporter.render();
      return reply.type(contentType).send(body);
    },
  );
}

export const timing = fp(requestTiming, { name: 'request-timing' });
export default fp(metrics, { name: 'metrics' });
