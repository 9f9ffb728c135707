import { Queue } from 'bullmq';
import type { RedisClient } from '../redis/client.ts';
import type { ExpiryScheduler } from '../../app/ports.ts';
import { orderOfDeadlineJob } from '../../domain/order.ts';
import { OutageLog, type OutageLogger } from '../outage-log.ts';

export const EXPIRY_QUEUE = 'hold-expiry';

/** How long a request waits for the queue before leaving the hold to the sweeper. */
const QUEUE_TIMEOUT_MS = 1_000;

/**
 * BullMQ waits for its connection indefinitely; a request must not. One promise settled by whichever
 * comes first (every placed hold passes here, so no race of three promises and a finally); a late
 * failure after the timeout has nobody to tell and is dropped.
 */
function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${QUEUE_TIMEOUT_MS} ms`)), QUEUE_TIMEOUT_MS);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: Error) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** A hold's expiry (job name `expire`) or an order's payment deadline (`cancel-unpaid-order`). */
export type ExpiryJobData = { holdId: string } | { orderId: number };

/**
 * One delayed BullMQ job per hold, with the hold id as job id so it is scheduled at most once, and
 * one per order awaiting payment (job id `order-<id>`) on the same queue.
 *
 * BullMQ checks its connection once, when the queue is made (an `INFO`), and keeps that answer:
 * if the check fails (the command timed out on a loaded machine, or a cluster was not ready yet),
 * every later call fails with the same error for the life of the queue. So a queue whose check
 * failed is replaced by a fresh one on the next call, instead of leaving expiry to the sweeper
 * for good.
 */
export class BullMqExpiryScheduler implements ExpiryScheduler {
  private current: Queue<ExpiryJobData>;
  private broken = false;
  private readonly outage: OutageLog | null;

  constructor(
    private readonly connection: RedisClient,
    private readonly prefix: string,
    /** Where the queue reports a lost Redis, once per outage (its connection's errors arrive here). */
    log?: OutageLogger,
  ) {
    this.outage = log ? new OutageLog(log, 'Redis (expiry queue)') : null;
    connection.on('ready', () => this.outage?.recovered());
    this.current = this.open();
  }

  /** The queue in use now (tests clean it up through this). */
  get queue(): Queue<ExpiryJobData> {
    if (this.broken) {
      const old = this.current;
      this.broken = false;
      this.current = this.open();
      // The connection is shared: closing the old queue leaves it open.
      old.close().catch(() => {});
    }
    return this.current;
  }

  private open(): Queue<ExpiryJobData> {
    const queue = new Queue<ExpiryJobData>(EXPIRY_QUEUE, {
      connection: this.connection,
      prefix: this.prefix,
      defaultJobOptions: {
        removeOnComplete: true,
        removeOnFail: { age: 24 * 3600 },
        attempts: 5,
        backoff: { type: 'exponential', delay: 500 },
      },
    });
    queue.on('error', (err) => this.outage?.failed(err));
    queue.waitUntilReady().catch(() => {
      if (this.current === queue) this.broken = true;
    });
    return queue;
  }

  async schedule(jobId: string, delayMs: number): Promise<void> {
    const orderId = orderOfDeadlineJob(jobId);
    const opts = { jobId, delay: Math.max(0, delayMs) };
    await withTimeout(
      orderId === null
        ? this.queue.add('expire', { holdId: jobId }, opts)
        : this.queue.add('cancel-unpaid-order', { orderId }, opts),
      orderId === null ? 'scheduling hold expiry' : 'scheduling payment deadline',
    );
  }

  async cancel(jobId: string): Promise<void> {
    await withTimeout(this.queue.remove(jobId), 'cancelling deadline job');
  }

  async depth(): Promise<number> {
    return withTimeout(this.queue.getJobCountByTypes('delayed', 'waiting', 'active', 'prioritized'), 'counting expiry jobs');
  }

  async close(): Promise<void> {
    await this.current.close();
  }
}
