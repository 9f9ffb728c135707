import { Queue } from 'bullmq';
import type { RedisClient } from '../redis/client.ts';
import type { ExpiryScheduler } from '../../app/ports.ts';

export const EXPIRY_QUEUE = 'hold-expiry';

/** How long a request waits for the queue before leaving the hold to the sweeper. */
const QUEUE_TIMEOUT_MS = 1_000;

/** BullMQ waits for its connection indefinitely; a request must not. */
function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${QUEUE_TIMEOUT_MS} ms`)), QUEUE_TIMEOUT_MS);
  });
  work.catch(() => {}); // a late failure after the timeout has nobody to tell
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export interface ExpiryJobData {
  holdId: string;
}

/** One delayed BullMQ job per hold, with the hold id as job id so it is scheduled at most once. */
export class BullMqExpiryScheduler implements ExpiryScheduler {
  readonly queue: Queue<ExpiryJobData>;

  constructor(connection: RedisClient, prefix: string) {
    this.queue = new Queue<ExpiryJobData>(EXPIRY_QUEUE, {
      connection,
      prefix,
      defaultJobOptions: {
        removeOnComplete: true,
        removeOnFail: { age: 24 * 3600 },
        attempts: 5,
        backoff: { type: 'exponential', delay: 500 },
      },
    });
    this.queue.on('error', () => {});
  }

  async schedule(holdId: string, delayMs: number): Promise<void> {
    await withTimeout(
      this.queue.add('expire', { holdId }, { jobId: holdId, delay: Math.max(0, delayMs) }),
      'scheduling hold expiry',
    );
  }

  async cancel(holdId: string): Promise<void> {
    await withTimeout(this.queue.remove(holdId), 'cancelling hold expiry');
  }

  async depth(): Promise<number> {
    return withTimeout(this.queue.getJobCountByTypes('delayed', 'waiting', 'active', 'prioritized'), 'counting expiry jobs');
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
