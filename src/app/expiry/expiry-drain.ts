import { expireHold, expireOverdueHolds, type ExpireHoldResult } from './expire-holds.ts';
import type { AppContext } from '../ports.ts';

/** How many ended hold ids a drain remembers per generation (two generations are kept). */
const REMEMBERED = 20_000;

/**
 * The holds of a flash sale are placed within seconds of each other, so they fall due together.
 * When one expiry job finds its hold due, thousands of others usually are too: rather than one
 * statement and one lock of the product row per job, everything due is expired in large batches
 * (the sweeper's statement), one drain at a time per process. Jobs that fire meanwhile wait for
 * the drain; a job whose hold the drain ended is done without a query (the drain remembers the ids
 * it ended), and a hold the drain skipped is still its job's.
 */
export class DueHoldsDrain {
  private running: Promise<void> | null = null;
  private again = false;
  private ended = new Set<string>();
  private endedBefore = new Set<string>();

  constructor(
    private readonly ctx: AppContext,
    /**
     * Four statements of 2,500 side by side (SKIP LOCKED gives each its own holds; they meet only on
     * the product row): a storm of 10,000 in one round. Measured against two of 1,000 (decision 24).
     */
    private readonly batchSize = 2_500,
    private readonly parallel = 4,
  ) {}

  /**
   * An expiry job's work. The first job to arrive while no drain runs expires its own hold and, if
   * it was due, drains the rest before anyone else goes on; jobs that arrive meanwhile wait rather
   * than queue on the product row with a statement each, then usually find their hold ended.
   */
  async expire(holdId: string): Promise<ExpireHoldResult> {
    if (!this.running) {
      if (this.endedHere(holdId)) return { kind: 'not-active', status: 'expired' };
      return this.start(
        (async () => {
          const result = await expireHold(this.ctx, holdId, 'job');
          // A hold that was due when its job fired: its neighbours from the same sale probably are too.
          if (result.kind === 'expired') await this.drain();
          return result;
        })(),
      );
    }
    await this.idle();
    if (this.endedHere(holdId)) return { kind: 'not-active', status: 'expired' };
    // Skipped by the drain, or not due with the others: this job's own statement.
    const result = await expireHold(this.ctx, holdId, 'job');
    if (result.kind === 'expired') void this.kick();
    return result;
  }

  /** Starts a drain, or asks the running one for one more pass. Resolves when the drain ends. */
  kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    return this.start(this.drain()).then(() => {});
  }

  /**
   * The periodic sweep: a drain, unless one is running already (it sweeps the same holds). Returns
   * how many holds this sweep expired.
   */
  async sweep(): Promise<number> {
    if (this.running) {
      await this.idle();
      return 0;
    }
    return this.start(this.drain());
  }

  /**
   * Makes `work` the running drain: whoever arrives meanwhile waits for it, whether it succeeds or
   * not (a leader's failed statement is retried by its job). Settles as `work` does, once no drain
   * runs any more.
   */
  private start<T>(work: Promise<T>): Promise<T> {
    const running = work
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        this.running = null;
      });
    this.running = running;
    return running.then(() => work);
  }

  /** Resolves once no drain is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private endedHere(holdId: string): boolean {
    return this.ended.has(holdId) || this.endedBefore.has(holdId);
  }

  private remember(ids: readonly string[]): void {
    for (const id of ids) this.ended.add(id);
    if (this.ended.size >= REMEMBERED) {
      this.endedBefore = this.ended;
      this.ended = new Set();
    }
  }

  /** Expires everything due, pass after pass while jobs ask for more; returns how many it expired. */
  private async drain(): Promise<number> {
    let expired = 0;
    do {
      this.again = false;
      try {
        const passes = await Promise.all(
          Array.from({ length: this.parallel }, () => expireOverdueHolds(this.ctx, this.batchSize)),
        );
        for (const pass of passes) {
          this.remember(pass.ids);
          expired += pass.expired;
        }
      } catch (err) {
        // The jobs and the next sweep still expire whatever this pass could not.
        this.ctx.log.warn({ err }, 'draining due holds failed');
        return expired;
      }
    } while (this.again);
    return expired;
  }
}
