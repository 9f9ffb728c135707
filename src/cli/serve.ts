import closeWithGrace from 'close-with-grace';
import { migrate } from '../adapters/postgres/migrate.ts';
import type { Config } from '../config.ts';
import { buildApp } from '../http/app.ts';
import { buildWorkerEndpoint } from '../http/worker-endpoint.ts';
import { parseWebhookSecrets } from '../http/plugins/webhook-signature.ts';
import { createRuntime } from '../runtime.ts';
import { startWorker, type BackgroundWork } from '../worker.ts';
import { createLogger } from './logger.ts';

/** Starts the API with the sweeper and reconciler (and, unless RUN_WORKER=false, expiry jobs); closes it all on SIGTERM. */
export async function serve(config: Config): Promise<void> {
  const log = createLogger(config);
  const rt = createRuntime(config, log, 'api');
  await migrate(rt.pool);
  const webhookSecrets = parseWebhookSecrets(config.WEBHOOK_SECRET);
  if (webhookSecrets.length === 0) {
    log.warn('WEBHOOK_SECRET is not set: payment webhooks are accepted without a signature');
  }
  const app = await buildApp(
    { ctx: rt.ctx, catalog: rt.catalog, webhookSecrets, readiness: rt.readiness, adminToken: config.ADMIN_TOKEN, metrics: rt.metrics },
    { logger: log },
  );
  // RUN_WORKER=false leaves expiry jobs to separate workers; the sweeper and reconciler still run.
  const worker: BackgroundWork = startWorker(rt, { processJobs: config.RUN_WORKER });

  closeWithGrace({ delay: 25_000 + config.SHUTDOWN_DELAY_MS, logger: log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await app.closeGracefully({ delayMs: config.SHUTDOWN_DELAY_MS }); // stops accepting, finishes requests in flight
    await worker.close(); // lets jobs in progress finish
    await rt.close();
  });

  await app.listen({ port: config.PORT, host: config.HOST });
}

/** The worker role alone, for deployments that scale it apart from the API. */
export async function runWorker(config: Config): Promise<void> {
  const log = createLogger(config);
  const rt = createRuntime(config, log, 'worker');
  await migrate(rt.pool);
  const worker = startWorker(rt);
  log.info('worker started: hold expiry jobs, sweeper, reconciler');
  const endpoint = config.METRICS_PORT ? await buildWorkerEndpoint(rt, log) : null;
  closeWithGrace({ delay: 25_000, logger: log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await endpoint?.close();
    await worker.close();
    await rt.close();
  });
  await endpoint?.listen({ port: config.METRICS_PORT!, host: config.HOST });
}
