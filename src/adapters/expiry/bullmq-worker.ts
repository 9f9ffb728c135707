import { DelayedError, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../redis/client.ts';
import { cancelUnpaidOrder } from '../../app/expiry/cancel-unpaid-orders.ts';
import { expireHold } from '../../app/expiry/expire-holds.ts';
import type { DueHoldsDrain } from '../../app/expiry/expiry-drain.ts';
import type { AppContext } from '../../app/ports.ts';
import { OutageLog } from '../outage-log.ts';
import { EXPIRY_QUEUE, type ExpiryJobData } from './bullmq-scheduler.ts';

/**
 * Processes hold-expiry and payment-deadline jobs. A job that fires before its hold or order is due
 * by the database clock (the two clocks differ slightly) is put back until then; one whose hold
 * already ended, or whose order was paid, failed or cancelled, is done.
 */
export function startBullMqExpiryWorker(
  ctx: AppContext,
  connection: RedisClient,
  prefix: string,
  concurrency = 50,
  drain?: DueHoldsDrain,
): Worker<ExpiryJobData> {
  const worker = new Worker<ExpiryJobData>(
    EXPIRY_QUEUE,
    async (job: Job<ExpiryJobData>, token?: string) => {
      if ('orderId' in job.data) {
        const cancelled = await cancelUnpaidOrder(ctx, job.data.orderId, 'job');
        if (cancelled.kind === 'not-due') {
          await job.moveToDelayed(Date.now() + cancelled.remainingMs + 5, token);
          throw new DelayedError();
        }
        return cancelled.kind;
      }
      // With a drain, the holds of a sale that fall due together are expired in batches.
      const result = drain ? await drain.expire(job.data.holdId) : await expireHold(ctx, job.data.holdId, 'job');
      if (result.kind === 'not-due') {
        await job.moveToDelayed(Date.now() + result.remainingMs + 5, token);
        throw new DelayedError();
      }
      return result.kind;
    },
    { connection, prefix, concurrency, autorun: true },
  );
  // BullMQ re-emits every failed reconnection attempt here: one line when Redis goes, one when it is back.
  const outage = new OutageLog(ctx.log, 'Redis (expiry worker)');
  worker.on('error', (err) => outage.failed(err));
  connection.on('ready', () => outage.recovered());
  return worker;
}
