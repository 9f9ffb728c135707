import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ExpiryScheduler } from '../../src/app/ports.ts';
import { paymentDeadlineJobId } from '../../src/domain/order.ts';
import { eventually } from '../helpers/service.ts';

/** One queue under test, with a way to run a consumer on it (the worker role's part). */
export interface ExpiryQueueHarness {
  scheduler: ExpiryScheduler;
  /** Starts consuming: `onJob` runs once per job run; a throw fails that run (it is retried). */
  consume(onJob: (holdId: string) => Promise<void>): Promise<{ close(): Promise<void> }>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What every ExpiryScheduler must do, BullMQ's and the in-process one alike: one job per hold id,
 * fired once when due, cancellable while pending, retried when it fails, counted by depth.
 */
export function expirySchedulerContract(make: () => Promise<ExpiryQueueHarness>): void {
  let q: ExpiryQueueHarness;
  let consumer: { close(): Promise<void> } | null;
  let fired: { holdId: string; at: number }[];
  const firedCount = (holdId: string) => fired.filter((f) => f.holdId === holdId).length;
  const startConsumer = async (onJob: (holdId: string) => Promise<void> = async () => {}) => {
    consumer = await q.consume(async (holdId) => {
      fired.push({ holdId, at: Date.now() });
      await onJob(holdId);
    });
  };

  beforeEach(async () => {
    q = await make();
    consumer = null;
    fired = [];
  });
  afterEach(async () => {
    await consumer?.close();
    await q.close();
  });

  it('depth counts pending jobs; scheduling an id again while pending keeps one job', async () => {
    expect(await q.scheduler.depth()).toBe(0);
    await q.scheduler.schedule('hold-a', 5_000);
    await q.scheduler.schedule('hold-b', 5_000);
    await q.scheduler.schedule('hold-a', 5_000);
    expect(await q.scheduler.depth()).toBe(2);
  });

  it('scheduling an id again while pending keeps the first due time, and fires once', async () => {
    await startConsumer();
    await q.scheduler.schedule('hold-twice', 200);
    await q.scheduler.schedule('hold-twice', 10_000);
    await eventually(
      async () => firedCount('hold-twice'),
      (n) => n === 1,
      3_000,
    );
    await eventually(
      () => q.scheduler.depth(),
      (d) => d === 0,
      3_000,
    );
  });

  it('cancel removes a pending job; cancelling an unknown id is harmless', async () => {
    await q.scheduler.schedule('hold-a', 5_000);
    await q.scheduler.schedule('hold-b', 5_000);
    await q.scheduler.cancel('hold-a');
    await q.scheduler.cancel('hold-unknown');
    expect(await q.scheduler.depth()).toBe(1);
  });

  it('fires each job once, not before its delay, and depth falls back to zero', async () => {
    await startConsumer();
    const start = Date.now();
    await q.scheduler.schedule('hold-late', 400);
    await q.scheduler.schedule('hold-now', 0);
    await eventually(
      async () => fired.length,
      (n) => n >= 2,
      5_000,
    );
    expect(fired[0]!.holdId).toBe('hold-now');
    expect(fired[1]!.holdId).toBe('hold-late');
    expect(fired[1]!.at - start).toBeGreaterThanOrEqual(390);
    await eventually(
      () => q.scheduler.depth(),
      (d) => d === 0,
      5_000,
    );
    await sleep(500);
    expect(fired.map((f) => f.holdId).sort()).toEqual(['hold-late', 'hold-now']);
  });

  it('a cancelled job never fires', async () => {
    await startConsumer();
    await q.scheduler.schedule('hold-cancelled', 300);
    await q.scheduler.schedule('hold-kept', 300);
    await q.scheduler.cancel('hold-cancelled');
    await eventually(
      async () => firedCount('hold-kept'),
      (n) => n === 1,
      5_000,
    );
    await sleep(300);
    expect(firedCount('hold-cancelled')).toBe(0);
    expect(await q.scheduler.depth()).toBe(0);
  });

  it('a job due while no consumer runs waits, counted in depth, and fires when one starts', async () => {
    await q.scheduler.schedule('hold-waiting', 50);
    await sleep(400);
    expect(await q.scheduler.depth()).toBe(1);
    await startConsumer();
    await eventually(
      async () => firedCount('hold-waiting'),
      (n) => n === 1,
      5_000,
    );
    await eventually(
      () => q.scheduler.depth(),
      (d) => d === 0,
      5_000,
    );
  });

  it('an id can be scheduled again once its job is done', async () => {
    await startConsumer();
    await q.scheduler.schedule('hold-again', 0);
    await eventually(
      () => q.scheduler.depth(),
      (d) => d === 0 && firedCount('hold-again') === 1,
      5_000,
    );
    await q.scheduler.schedule('hold-again', 0);
    await eventually(
      async () => firedCount('hold-again'),
      (n) => n === 2,
      5_000,
    );
  });

  it("an order's payment deadline shares the queue: its own id, fired once when due, cancellable", async () => {
    await startConsumer();
    const kept = paymentDeadlineJobId(41);
    const cancelled = paymentDeadlineJobId(42);
    await q.scheduler.schedule(kept, 200);
    await q.scheduler.schedule(kept, 200);
    await q.scheduler.schedule(cancelled, 200);
    await q.scheduler.schedule('hold-beside', 200);
    expect(await q.scheduler.depth()).toBe(3);
    await q.scheduler.cancel(cancelled);
    await eventually(
      async () => fired.length,
      (n) => n >= 2,
      5_000,
    );
    await sleep(300);
    expect(fired.map((f) => f.holdId).sort()).toEqual(['hold-beside', kept]);
    expect(await q.scheduler.depth()).toBe(0);
  });

  it('a job that fails is retried after a backoff, then done', async () => {
    let failures = 0;
    await startConsumer(async () => {
      if (failures++ === 0) throw new Error('database unavailable for a moment');
    });
    await q.scheduler.schedule('hold-retried', 0);
    await eventually(
      async () => firedCount('hold-retried'),
      (n) => n === 2,
      5_000,
    );
    const [first, second] = fired;
    // The queue's policy: exponential backoff starting at 500 ms.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(450);
    await eventually(
      () => q.scheduler.depth(),
      (d) => d === 0,
      5_000,
    );
    await sleep(300);
    expect(firedCount('hold-retried')).toBe(2);
  });
}
