import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { createPool } from '../adapters/postgres/db.ts';
import { migrate } from '../adapters/postgres/migrate.ts';
import { redisTarget } from '../adapters/redis/client.ts';
import { ConfigError, type Config } from '../config.ts';
import { openDatabase } from '../runtime.ts';

/** How many API processes `--processes` or WEB_CONCURRENCY asks for: 0 or `auto` is one per core. */
export function processCount(value: string): number {
  if (value === 'auto' || value === '0') return availableParallelism();
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 999)
    throw new ConfigError(`--processes must be a whole number up to 999, 0 or auto (got "${value}")`);
  return n;
}

/** A process that dies this soon after its start is restarted after a growing pause, not at once. */
const EARLY_DEATH_MS = 5_000;
const MAX_RESTART_PAUSE_MS = 10_000;

/**
 * The primary of `flashsale serve --processes N`: migrates once, then runs N API processes
 * (node:cluster) that share one port. A process that dies is replaced; SIGTERM or SIGINT drains
 * them all (each finishes its requests in flight, as a single `serve` does) before the primary exits.
 */
export async function servePrimary(config: Config, count: number, log: Logger): Promise<void> {
  if (!redisTarget(config)) {
    throw new ConfigError(
      'serve --processes with more than one process needs REDIS_URL or REDIS_CLUSTER_NODES: ' +
        'the in-process stand-ins for Redis cannot be shared between processes.',
    );
  }
  // The embedded PostgreSQL, when used, is started here once and shared by every process.
  const database = await openDatabase(config, log);
  try {
    const pool = createPool({ connectionString: database.url, max: 1, applicationName: 'flashsale-primary' });
    await migrate(pool).finally(() => pool.end());
  } catch (err) {
    await database.close();
    throw err;
  }

  let stopping = false;
  let pause = 0;
  const startedAt = new Map<Worker, number>();
  const fork = () => {
    const worker = cluster.fork({ DATABASE_URL: database.url });
    startedAt.set(worker, Date.now());
  };
  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) return;
    pause = lived < EARLY_DEATH_MS ? Math.min(MAX_RESTART_PAUSE_MS, Math.max(250, pause * 2)) : 0;
    log.error({ pid: worker.process.pid, code, signal, restartInMs: pause }, 'an API process died; starting another');
    setTimeout(() => {
      if (!stopping) fork();
    }, pause);
  });
  for (let i = 0; i < count; i++) fork();
  log.info({ processes: count, port: config.PORT }, 'API processes started');

  const drainAll = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down every API process');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exited = workers.map((w) => new Promise((r) => (w.isDead() ? r(null) : w.once('exit', r))));
    // A process still starting has no handler yet and simply ends; the others drain.
    for (const w of workers) if (!w.isDead()) w.process.kill('SIGTERM');
    // Each process allows itself 25 s plus SHUTDOWN_DELAY_MS; this is the last resort beyond that.
    const hardStop = setTimeout(() => {
      log.error('API processes did not stop in time; killing them');
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, 30_000 + config.SHUTDOWN_DELAY_MS);
    await Promise.all(exited);
    clearTimeout(hardStop);
    await database.close();
    log.info('every API process has stopped');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void drainAll(signal));
}

/**
 * In an API process of `--processes N`: drain once on the first SIGTERM or SIGINT. A terminal's
 * Ctrl-C reaches the whole process group and the primary passes a SIGTERM on too; the second
 * signal must not cut the drain short as it would in a single process.
 */
export function drainOnFirstSignal(drain: () => void): void {
  let draining = false;
  const once = () => {
    if (draining) return;
    draining = true;
    drain();
  };
  process.on('SIGTERM', once);
  process.on('SIGINT', once);
}

export const isApiProcessOfPrimary = (): boolean => cluster.isWorker;
