import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ProductCatalog } from '../app/get-product.ts';
import type { DashboardFeed } from '../app/dashboard-feed.ts';
import type { AppContext } from '../app/ports.ts';
import type { SalePulse } from '../app/sale-pulse.ts';
import type { EdgeGuards, MetricsExporter } from './ports.ts';
import { clientErrorHandler, frameworkErrors } from './plugins/framework-errors.ts';
import gracefulClose from './plugins/graceful-close.ts';
import holdLatency from './plugins/hold-latency.ts';
import idempotencyKey from './plugins/idempotency-key.ts';
import jsonBody, { jsonTextParser } from './plugins/json-body.ts';
import metrics, { timing } from './plugins/metrics.ts';
import openapi from './plugins/openapi.ts';
import problem from './plugins/problem.ts';
import rateLimit, { type RateLimit } from './plugins/rate-limit.ts';
import { requestId } from './plugins/request-id.ts';
import responseHeaders from './plugins/response-headers.ts';
import routeSchemas from './plugins/route-schemas.ts';
import admin from './routes/admin/index.ts';
import dashboard from './routes/dashboard/index.ts';
import health, { type ReadinessCheck } from './routes/health/index.ts';
import holds from './routes/holds/index.ts';
import orders from './routes/orders/index.ts';
import payments from './routes/payments/index.ts';
import problemPages from './routes/problems/index.ts';
import products from './routes/products/index.ts';
import { HotLane } from './hot-lane.ts';
import { lazyRequestLogger } from './request-logger.ts';
import { schemaValidatorCompiler } from './validation.ts';

export interface FlashsaleDeps {
  ctx: AppContext;
  guards: EdgeGuards;
  catalog: ProductCatalog;
  webhookSecrets: string[];
  readiness: ReadinessCheck[];
  /** CUSTOMER_JWT_SECRET: the customer of a hold is then the `sub` of a token signed with it. */
  customerJwtSecret?: string | undefined;
  /** ADMIN_TOKEN; without it the admin routes answer 403 admin-disabled. */
  adminToken?: string | undefined;
  /** CURRENCY: the currency of products created without one; USD when absent. */
  currency?: string | undefined;
  /** Serves /metrics and times every request when present. */
  metrics?: MetricsExporter | undefined;
  /** Per-client limit on POST /api/holds; none when absent. */
  holdRateLimit?: RateLimit | undefined;
  /** This process's share of the live dashboard's rates; hold latency is not counted without it. */
  pulse?: SalePulse | null | undefined;
  /** Serves GET /api/admin/dashboard/stream when present. */
  dashboard?: DashboardFeed | undefined;
  /** HOT_LANE: repeated answers written from memory before the router (decision 29); on unless false. */
  hotLane?: boolean | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    flashsale: FlashsaleDeps;
    /** Where routes register the answers they can give from memory (decision 29). */
    hotLane: HotLane;
  }
  interface FastifyRequest {
    rawBody?: string;
  }
}

export const BODY_LIMIT = 64 * 1024;

/** The HTTP shell: plugins first, then routes. Every dependency comes in through `deps`. */
export async function buildApp(deps: FlashsaleDeps, opts: { logger?: FastifyBaseLogger } = {}): Promise<FastifyInstance> {
  const lane = new HotLane(deps.hotLane ?? true);
  const limits = { requestTimeout: 30_000, connectionTimeout: 30_000, keepAliveTimeout: 72_000 };
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT,
    requestIdHeader: false,
    genReqId: requestId,
    childLoggerFactory: lazyRequestLogger,
    // Time limits against slow clients (set on the server the lane makes); graceful close drains what is in flight.
    ...limits,
    serverFactory: (handler) => lane.server(handler, limits),
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('flashsale', deps);
  app.decorate('hotLane', lane);
  await app.register(routeSchemas); // first, so that it sees every route
  await app.register(timing); // and this one too
  app.setValidatorCompiler(schemaValidatorCompiler);
  await app.register(responseHeaders);
  await app.register(gracefulClose);

  await app.register(problem);
  await app.register(jsonBody);
  lane.attach(app, jsonTextParser(app));
  // Route-level guards attach themselves to routes added after them (onRoute), so before openapi.
  await app.register(rateLimit, { routes: ['POST /api/holds'], limit: deps.holdRateLimit });
  await app.register(idempotencyKey, { routes: ['POST /api/holds', 'POST /api/orders'] });
  await app.register(holdLatency, { routes: ['POST /api/holds'] });
  await app.register(openapi);
  await app.register(metrics);

  await app.register(health);
  await app.register(products);
  await app.register(holds);
  await app.register(orders);
  await app.register(payments);
  await app.register(admin);
  await app.register(dashboard);
  await app.register(problemPages);
  return app;
}
