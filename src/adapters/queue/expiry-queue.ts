import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ExpiryScheduler } from '../../app/ports.ts';

export const EXPIRY_QUEUE = 'hold-expiry';

export interface ExpiryJobData {
  holdId: string;
}

/** One delayed BullMQ job per hold, with the hold id as job id so it is scheduled at most once. */
export class BullMqExpiryScheduler implements ExpiryScheduler {
  readonly queue: Queue<ExpiryJobData>;

  constructor(connection: Redis, prefix: string) {
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
    await this.queue.add('expire', { holdId }, { jobId: holdId, delay: Math.max(0, delayMs) });
  }

  async cancel(holdId: string): Promise<void> {
    await this.queue.remove(holdId);
  }

  async depth(): Promise<number> {
    return this.queue.getJobCountByTypes('delayed', 'waiting', 'active', 'prioritized');
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
