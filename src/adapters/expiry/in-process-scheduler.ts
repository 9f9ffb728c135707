import type { ExpiryScheduler } from '../../app/ports.ts';

/** What a consumer answers for one job: done, or "run me again in this many ms" (not due yet). */
export type ExpiryJobHandler = (holdId: string) => Promise<{ retryInMs: number } | void>;

interface Job {
  id: string;
  state: 'delayed' | 'waiting' | 'active';
  attempts: number;
  timer?: NodeJS.Timeout;
}

interface Consumer {
  handler: ExpiryJobHandler;
  concurrency: number;
  onFailed: (holdId: string, err: unknown) => void;
}

// The same retry policy as the BullMQ queue's default job options.
const MAX_ATTEMPTS = 5;
const BACKOFF_MS = 500;
// setTimeout fires at once for anything longer than this.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The expiry queue kept in this process, for the embedded shape (no REDIS_URL). It behaves as the
 * BullMQ queue does: one job per hold id (scheduling it again while it is pending does nothing),
 * delayed until due, then waiting for a consumer; `cancel` removes a job unless it is running;
 * `depth` counts delayed, waiting and running jobs. Jobs live only as long as the process: the
 * sweeper expires holds whose job was lost, as it does when Redis loses its data.
 */
export class InProcessExpiryScheduler implements ExpiryScheduler {
  private readonly jobs = new Map<string, Job>();
  // Insertion-ordered, so jobs are consumed in the order they became due.
  private readonly waiting = new Set<string>();
  private consumer: Consumer | null = null;
  private running = 0;
  private idle: (() => void)[] = [];

  async schedule(holdId: string, delayMs: number): Promise<void> {
    if (this.jobs.has(holdId)) return;
    const job: Job = { id: holdId, state: 'delayed', attempts: 0 };
    this.jobs.set(holdId, job);
    this.delay(job, delayMs);
  }

  async cancel(holdId: string): Promise<void> {
    const job = this.jobs.get(holdId);
    if (!job || job.state === 'active') return;
    clearTimeout(job.timer);
    this.waiting.delete(holdId);
    this.jobs.delete(holdId);
  }

  async depth(): Promise<number> {
    return this.jobs.size;
  }

  /**
   * Starts consuming due jobs, at most `concurrency` at once. `close()` stops taking new ones and
   * waits for those running; jobs still pending stay queued, as in BullMQ.
   */
  consume(
    handler: ExpiryJobHandler,
    opts: { concurrency: number; onFailed?: (holdId: string, err: unknown) => void },
  ): { close(): Promise<void> } {
    if (this.consumer) throw new Error('the in-process expiry queue already has a consumer');
    const consumer: Consumer = { handler, concurrency: opts.concurrency, onFailed: opts.onFailed ?? (() => {}) };
    this.consumer = consumer;
    this.drain();
    return {
      close: async () => {
        if (this.consumer === consumer) this.consumer = null;
        if (this.running > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
      },
    };
  }

  /** Drops every pending job and timer: what a process exit does to them. */
  async close(): Promise<void> {
    for (const job of this.jobs.values()) clearTimeout(job.timer);
    this.jobs.clear();
    this.waiting.clear();
  }

  private delay(job: Job, ms: number): void {
    job.state = 'delayed';
    job.timer = setTimeout(() => this.makeDue(job), Math.min(Math.max(0, ms), MAX_TIMER_MS));
    // A pending expiry must not keep a finished CLI command alive; the server keeps itself alive.
    job.timer.unref();
  }

  private makeDue(job: Job): void {
    job.timer = undefined;
    if (this.jobs.get(job.id) !== job) return;
    job.state = 'waiting';
    this.waiting.add(job.id);
    this.drain();
  }

  private drain(): void {
    const consumer = this.consumer;
    if (!consumer) return;
    for (const id of this.waiting) {
      if (this.running >= consumer.concurrency) return;
      this.waiting.delete(id);
      const job = this.jobs.get(id);
      if (job) void this.run(job, consumer);
    }
  }

  private async run(job: Job, consumer: Consumer): Promise<void> {
    job.state = 'active';
    this.running++;
    try {
      const result = await consumer.handler(job.id);
      if (result) this.delay(job, result.retryInMs);
      else this.jobs.delete(job.id);
    } catch (err) {
      job.attempts++;
      if (job.attempts < MAX_ATTEMPTS) {
        this.delay(job, BACKOFF_MS * 2 ** (job.attempts - 1));
      } else {
        this.jobs.delete(job.id);
        consumer.onFailed(job.id, err);
      }
    } finally {
      this.running--;
      if (this.running === 0) for (const resolve of this.idle.splice(0)) resolve();
      this.drain();
    }
  }
}
