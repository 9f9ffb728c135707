import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { hookList, isOneOf } from './route-hooks.ts';

/**
 * Feeds every answer of the given routes (POST /api/holds) to the live dashboard's latency sketch:
 * one addition in memory per request, added to the shared counters once a second.
 */
async function holdLatency(app: FastifyInstance, opts: { routes: string[] }): Promise<void> {
  const pulse = app.flashsale.pulse;
  if (!pulse) return;
  const routes = new Set(opts.routes);
  const observe: onResponseHookHandler = (_request, reply, done) => {
    pulse.holdAnswered(reply.elapsedTime, reply.statusCode);
    done();
  };
  app.addHook('onRoute', (route) => {
    if (!isOneOf(route, routes)) return;
    route.onResponse = [...hookList(route.onResponse), observe] as typeof route.onResponse;
  });
}

export default fp(holdLatency, { name: 'hold-latency' });
