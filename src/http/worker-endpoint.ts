import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { MetricsExporter } from './ports.ts';
import problem from './plugins/problem.ts';
import health, { type ReadinessCheck } from './routes/health/index.ts';

/**
 * What a worker started alone serves on METRICS_PORT: its metrics (job and sweeper expiries,
 * mirror repairs) and its health, and nothing of the API.
 */
export async function buildWorkerEndpoint(
  deps: { metrics: MetricsExporter; readiness: ReadinessCheck[] },
  logger: FastifyBaseLogger,
): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger, disableRequestLogging: true, forceCloseConnections: true });
  // The health routes read these, as they do in the API.
  app.decorate('flashsale', { readiness: deps.readiness } as FastifyInstance['flashsale']);
  app.decorate('shuttingDown', false);
  await app.register(problem);
  await app.register(health);
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const { contentType, body } = await deps.metrics.render();
    return reply.type(contentType).send(body);
  });
  return app;
}
