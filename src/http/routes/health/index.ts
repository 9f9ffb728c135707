import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { PUBLIC_SECURITY } from '../../schemas/common.ts';

/** One dependency's readiness check: resolves when it answers, rejects when it does not. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<unknown>;
}

const HealthStatus = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
    checks: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { examples: [{ status: 'ok', checks: { postgres: 'ok', redis: 'ok', queue: 'ok' } }] },
);
const Unavailable = {
  ...HealthStatus,
  examples: [{ status: 'unavailable', checks: { postgres: 'unavailable', redis: 'ok', queue: 'ok' } }],
};

const CHECK_TIMEOUT_MS = 2_000;

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getLiveness',
        security: PUBLIC_SECURITY,
        summary: 'The process is up',
        response: { 200: HealthStatus },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getReadiness',
        security: PUBLIC_SECURITY,
        summary: 'PostgreSQL, Redis and the queue answer',
        response: { 200: HealthStatus, 503: Unavailable },
      },
    },
    async (request, reply) => {
      const checks: Record<string, string> = {};
      await Promise.all(
        app.flashsale.readiness.map(async ({ name, check }) => {
          try {
            await Promise.race([
              check(),
              new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS).unref()),
            ]);
            checks[name] = 'ok';
          } catch (err) {
            // Driver messages name hosts and ports: they go to the log, not to whoever asks.
            request.log.warn({ err, check: name }, 'readiness check failed');
            checks[name] = 'unavailable';
          }
        }),
      );
      // A process on its way out takes no new traffic, whatever its dependencies say.
      if (app.shuttingDown) checks['shutdown'] = 'unavailable: shutting down';
      const ok = Object.values(checks).every((c) => c === 'ok');
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
    },
  );
};

export default health;
