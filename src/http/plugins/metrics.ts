import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { PUBLIC_SECURITY } from '../schemas/common.ts';

const METRICS_EXAMPLE =
  '# HELP flashsale_holds_placed_total Holds placed\n# TYPE flashsale_holds_placed_total counter\nflashsale_holds_placed_total 42\n';

/**
 * GET /metrics in the Prometheus text format, and a latency observation for every request,
 * labelled by route pattern (`/api/holds/:hold_id`) so that ids do not multiply the series.
 */
async function metrics(app: FastifyInstance): Promise<void> {
  const exporter = app.flashsale.metrics;
  if (!exporter) return;

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    exporter.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

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

export default fp(metrics, { name: 'metrics' });
