import { InProcessExpiryScheduler } from './adapters/expiry/in-process-scheduler.ts';
import { startInProcessExpiryWorker } from './adapters/expiry/in-process-worker.ts';
import { createQueueRedis, queuePrefix } from './adapters/redis/client.ts';
import { startBullMqExpiryWorker } from './adapters/expiry/bullmq-worker.ts';
import { cancelOverdueOrders } from './app/expiry/cancel-unpaid-orders.ts';
import { DueHoldsAlarm } from './app/expiry/due-holds-alarm.ts';
import { DueHoldsDrain } from './app/expiry/expiry-drain.ts';
import { runPeriodically } from './app/periodic-task.ts';
import { reconcile } from './app/reconcile.ts';
import type { Runtime } from './runtime.ts';
import { present } from './domain/present.ts';

export interface BackgroundWork {
  close(): Promise<void>;
}

/**
 * The background work: processes hold-expiry and payment-deadline jobs (unless `processJobs` is
 * false), sweeps overdue holds and unpaid orders whose job was lost, and keeps the mirror reconciled. Every part is safe to run on any
 * number of replicas at once; API processes run the sweeper and reconciler even without jobs, so
 * stock comes back within seconds while every worker is down (I3).
 */
export function startWorker(rt: Runtime, opts: { processJobs?: boolean } = {}): BackgroundWork {
  // In-process jobs can only run in the process that scheduled them, whatever RUN_WORKER says.
  const processJobs = opts.processJobs !== false || rt.scheduler instanceof InProcessExpiryScheduler;
  // The sweeper and the jobs share one drain: whichever meets a storm of due holds first expires
  // them in parallel batches, and the jobs of the holds it ended need no statement.
  const drain = new DueHoldsDrain(rt.ctx);
  const expiryJobs = processJobs ? startExpiryJobs(rt, drain) : null;
  // Where the jobs run, the drain also starts on its own at the instant holds fall due (decision 27);
  // each sweep sets the alarm for whatever is due next.
  const alarm = processJobs ? new DueHoldsAlarm(rt.ctx, drain) : null;
  const armAlarm = (): Promise<void> | undefined =>
    alarm?.arm().catch((err: unknown) => rt.log.warn({ err }, 'could not set the expiry alarm; the jobs and the sweeper go on'));
  void armAlarm();
  const sweeper = runPeriodically(
    'sweeper',
    rt.config.SWEEP_INTERVAL_MS,
    async () => {
      const expired = await drain.sweep();
      if (expired > 0) rt.log.info({ expired }, 'sweeper expired overdue holds');
      await armAlarm();
      const { cancelled } = await cancelOverdueOrders(rt.ctx);
      if (cancelled > 0) rt.log.info({ cancelled }, 'sweeper cancelled orders unpaid at their deadline');
    },
    rt.log,
  );
  // A fresh Redis (or one that lost its data) gets the whole mirror at once, not on first use.
  void reconcile(rt.ctx).catch((err: unknown) => rt.log.warn({ err }, 'initial reconcile failed; will retry'));
  const reconciler = runPeriodically(
    'reconciler',
    rt.config.RECONCILE_INTERVAL_MS,
    async () => {
      const report = await reconcile(rt.ctx);
      rt.ctx.metrics.mirrorRepaired(report.repaired.length);
      if (report.repaired.length > 0) rt.log.warn({ repaired: report.repaired }, 'reconciler repaired mirror drift');
    },
    rt.log,
  );
  return {
    async close() {
      await Promise.all([sweeper.stop(), reconciler.stop(), alarm?.stop()]);
      // Waits for jobs in progress to finish.
      await expiryJobs?.close();
    },
  };
}

/** Hold-expiry jobs from BullMQ, or from the in-process queue when there is no Redis. */
function startExpiryJobs(rt: Runtime, drain: DueHoldsDrain): BackgroundWork {
  if (rt.scheduler instanceof InProcessExpiryScheduler) {
    return startInProcessExpiryWorker(rt.ctx, rt.scheduler, rt.config.WORKER_CONCURRENCY);
  }
  // The runtime builds a BullMQ scheduler only when Redis (a server or a cluster) is configured.
  const target = present(rt.redisTarget, 'Redis target of the BullMQ scheduler');
  const connection = createQueueRedis(target);
  const prefix = queuePrefix(target, rt.config.REDIS_PREFIX);
  const worker = startBullMqExpiryWorker(rt.ctx, connection, prefix, rt.config.WORKER_CONCURRENCY, drain);
  return {
    async close() {
      await worker.close();
      await drain.idle();
      connection.disconnect();
    },
  };
}
