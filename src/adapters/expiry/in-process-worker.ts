import { cancelUnpaidOrder } from '../../app/expiry/cancel-unpaid-orders.ts';
import { expireHold } from '../../app/expiry/expire-holds.ts';
import { orderOfDeadlineJob } from '../../domain/order.ts';
import type { AppContext } from '../../app/ports.ts';
import type { InProcessExpiryScheduler } from './in-process-scheduler.ts';

/**
 * Processes the in-process deadline jobs exactly as the BullMQ worker processes its own: expire the
 * hold, or cancel the unpaid order, by the database clock, and put a job that fired early back until
 * it is due.
 */
export function startInProcessExpiryWorker(
  ctx: AppContext,
  scheduler: InProcessExpiryScheduler,
  concurrency: number,
): { close(): Promise<void> } {
  return scheduler.consume(
    async (jobId) => {
      const orderId = orderOfDeadlineJob(jobId);
      const result = orderId === null ? await expireHold(ctx, jobId, 'job') : await cancelUnpaidOrder(ctx, orderId, 'job');
      if (result.kind === 'not-due') return { retryInMs: result.remainingMs + 5 };
    },
    {
      concurrency,
      onFailed: (jobId, err) => ctx.log.warn({ err, jobId }, 'deadline job failed for good; the sweeper will take it over'),
    },
  );
}
