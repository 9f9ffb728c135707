import { expireHold } from '../../app/expiry/expire-holds.ts';
import type { AppContext } from '../../app/ports.ts';
import type { InProcessExpiryScheduler } from './in-process-scheduler.ts';

/**
 * Processes the in-process expiry jobs exactly as the BullMQ worker processes its own: expire the
 * hold by the database clock, and put a job that fired early back until the hold is due.
 */
export function startInProcessExpiryWorker(
  ctx: AppContext,
  scheduler: InProcessExpiryScheduler,
  concurrency: number,
): { close(): Promise<void> } {
  return scheduler.consume(
    async (holdId) => {
      const result = await expireHold(ctx, holdId, 'job');
      if (result.kind === 'not-due') return { retryInMs: result.remainingMs + 5 };
    },
    {
      concurrency,
      onFailed: (holdId, err) => ctx.log.warn({ err, holdId }, 'expiry job failed for good; the sweeper will expire the hold'),
    },
  );
}
