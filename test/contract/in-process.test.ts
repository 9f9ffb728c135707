import { describe } from 'vitest';
import { InProcessExpiryScheduler } from '../../src/adapters/expiry/in-process-scheduler.ts';
import { InProcessWebhookIdempotencyCache } from '../../src/adapters/in-process/webhook-idempotency-cache.ts';
import { InProcessStockMirror } from '../../src/adapters/in-process/stock-mirror.ts';
import { InProcessSalePulseStore } from '../../src/adapters/in-process/sale-pulse-store.ts';
import { expirySchedulerContract } from './expiry-scheduler.contract.ts';
import { webhookIdempotencyCacheContract } from './webhook-idempotency-cache.contract.ts';
import { stockMirrorContract } from './stock-mirror.contract.ts';
import { salePulseStoreContract } from './sale-pulse-store.contract.ts';

// The stand-ins of the embedded shape pass the very suites the Redis and BullMQ adapters pass.
describe('in-process StockMirror', () => {
  stockMirrorContract(async () => new InProcessStockMirror());
});

describe('in-process WebhookIdempotencyCache', () => {
  webhookIdempotencyCacheContract(async () => new InProcessWebhookIdempotencyCache());
});

describe('in-process ExpiryScheduler', () => {
  expirySchedulerContract(async () => {
    const scheduler = new InProcessExpiryScheduler();
    return {
      scheduler,
      consume: async (onJob) => scheduler.consume(async (holdId) => onJob(holdId), { concurrency: 10 }),
      close: () => scheduler.close(),
    };
  });
});

describe('in-process SalePulseStore', () => {
  salePulseStoreContract(async () => new InProcessSalePulseStore());
});
