import closeWithGrace from 'close-with-grace';
import { parseArgs } from 'node:util';
import { migrate } from '../adapters/postgres/migrate.ts';
import type { Config } from '../config.ts';
import { buildApp } from '../http/app.ts';
import { buildWorkerEndpoint } from '../http/worker-endpoint.ts';
import { httpDependencies, openRuntime, type Runtime } from '../runtime.ts';
import { startWorker, type BackgroundWork } from '../worker.ts';
import { createLogger } from './logger.ts';
import { drainOnFirstSignal, isApiProcessOfPrimary, processCount, servePrimary } from './serve-processes.ts';

/**
 * `flashsale serve [--processes N]`: one API process, or N sharing the port (WEB_CONCURRENCY when
 * the flag is absent; 0 or auto = one per core).
 */
export async function serveCommand(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { processes: { type: 'string' } }, strict: false });
  const count = processCount(typeof values.processes === 'string' ? values.processes : config.WEB_CONCURRENCY);
  if (count > 1 && !isApiProcessOfPrimary()) return servePrimary(config, count, createLogger(config));
  return serve(config);
}

/** Starts the API with the sweeper and reconciler (and, unless RUN_WORKER=false, expiry jobs); closes it all on SIGTERM. */
export async function serve(config: Config): Promise<void> {
  const log = createLogger(config);
  const rt = await openRuntime(config, log, 'api');
  try {
    await startServing(config, log, rt);
  } catch (err) {
    // Nothing else would stop an embedded PostgreSQL this process started.
    await rt.close();
    throw err;
  }
}

async function startServing(config: Config, log: ReturnType<typeof createLogger>, rt: Runtime): Promise<void> {
  await migrate(rt.pool, { currency: config.CURRENCY });
  const deps = httpDependencies(rt);
  if (deps.webhookSecrets.length === 0) {
    log.warn('WEBHOOK_SECRET is not set: payment webhooks are accepted without a signature');
  }
  if (config.CUSTOMER_JWT_SECRET !== undefined && config.CUSTOMER_JWT_SECRET.length < 32) {
    // RFC 7518 3.2: an HS256 key should be at least as long as the hash, 256 bits.
    log.warn('CUSTOMER_JWT_SECRET is shorter than 32 characters: customer tokens are easier to forge');
  }
  const app = await buildApp(deps, { logger: log });
  // RUN_WORKER=false leaves expiry jobs to separate workers; the sweeper and reconciler still run.
  const worker: BackgroundWork = startWorker(rt, { processJobs: config.RUN_WORKER });

  // An API process of `--processes N` may get each signal twice (its group's and its primary's).
  const ofPrimary = isApiProcessOfPrimary();
  const grace = closeWithGrace(
    { delay: 25_000 + config.SHUTDOWN_DELAY_MS, logger: log, skip: ofPrimary ? ['SIGTERM', 'SIGINT'] : [] },
    async ({ signal, err }) => {
      if (err) log.error({ err }, 'shutting down after an error');
      else log.info({ signal }, 'shutting down');
      await app.closeGracefully({ delayMs: config.SHUTDOWN_DELAY_MS }); // stops accepting, finishes requests in flight
      await worker.close(); // lets jobs in progress finish
      await rt.close();
    },
  );
  if (ofPrimary) drainOnFirstSignal(() => void grace.close());

  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    await app.close();
    await worker.close();
    throw err;
  }
}

/** The worker role alone, for deployments that scale it apart from the API. */
export async function runWorker(config: Config): Promise<void> {
  const log = createLogger(config);
  const rt = await openRuntime(config, log, 'worker');
  try {
    await migrate(rt.pool, { currency: config.CURRENCY });
  } catch (err) {
    await rt.close();
    throw err;
  }
  const worker = startWorker(rt);
  log.info('worker started: hold expiry jobs, sweeper, reconciler');
  const metricsPort = config.METRICS_PORT;
  const endpoint = metricsPort ? await buildWorkerEndpoint(rt, log) : null;
  closeWithGrace({ delay: 25_000, logger: log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await endpoint?.close();
    await worker.close();
    await rt.close();
  });
  if (endpoint && metricsPort) await endpoint.listen({ port: metricsPort, host: config.HOST });
}
