import { expireOverdueHolds } from './expire-holds.ts';
import type { AppContext } from '../ports.ts';

/**
 * The holds of a flash sale are placed within seconds of each other, so they fall due together.
 * When one expiry job finds its hold due, thousands of others usually are too: rather than one
 * statement and one lock of the product row per job, everything due is expired in large batches
 * (the sweeper's statement), one drain at a time per process. Jobs that fire meanwhile wait for
 * the drain, then find their hold already ended; a hold the drain skipped is still theirs.
 */
export class DueHoldsDrain {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly batchSize = 1_000,
    /** Statements run side by side: SKIP LOCKED gives each its own holds, and they meet only briefly on the product row. */
    private readonly parallel = 2,
  ) {}

  /** Starts a drain, or asks the running one for one more pass. Resolves when the drain ends. */
  kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves once no drain is running (for jobs that arrive while one is). */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      try {
        await Promise.all(Array.from({ length: this.parallel }, () => expireOverdueHolds(this.ctx, this.batchSize)));
      } catch (err) {
        // The jobs and the periodic sweeper still expire whatever this pass could not.
        this.ctx.log.warn({ err }, 'draining due holds failed');
        return;
      }
    } while (this.again);
  }
}
