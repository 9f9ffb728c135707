import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { HoldLine } from '../../domain/cart.ts';
import { placeHolds, type HoldDecision } from './hold-batches.ts';
import { present } from '../../domain/present.ts';

export interface HoldBatcherOptions {
  /** Most holds written by one statement. */
  maxBatch: number;
  /**
   * How long the first hold of a batch waits for company. 0 waits one event-loop turn only: under
   * load the batch in flight is the natural window, and a quiet shop pays no delay.
   */
  windowMs: number;
}

interface Waiter {
  id: string;
  lines: readonly HoldLine[];
  customerId: string | null;
  ttlSeconds: number;
  resolve(result: HoldDecision): void;
  reject(err: unknown): void;
}

/**
 * Group commit for hot products, carts included. Holds that arrive while earlier ones are in the
 * database (or within `windowMs`) are written together: one transaction locks every product of the
 * batch once, in id order, decides the requests in arrival order and commits them all, so a hot
 * product's lock is taken once per batch instead of once per hold. Each hold is answered only after
 * the commit that contains it.
 *
 * At most one batch per product is in flight: a request waits while any of its products is in a
 * batch in the database, and so does every later request that shares a product with a waiting one,
 * so the requests of each product are decided in arrival order. Batches on disjoint products run
 * side by side. Across processes nothing changes: batches queue on the row locks, which stay the
 * arbiter, and the id order of the locks keeps them free of deadlocks.
 */
export class HoldBatcher {
  private pending: Waiter[] = [];
  private readonly inFlight = new Set<number>();
  private scheduled = false;
  /** Batches written and holds requested through them, for benchmarks and tests. */
  readonly stats = { batches: 0, requests: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: HoldBatcherOptions,
  ) {}

  place(lines: readonly HoldLine[], ttlSeconds: number, customerId: string | null = null): Promise<HoldDecision> {
    return new Promise<HoldDecision>((resolve, reject) => {
      this.pending.push({ id: randomUUID(), lines, customerId, ttlSeconds, resolve, reject });
      this.schedule(this.opts.windowMs);
    });
  }

  private schedule(windowMs: number): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.startBatches();
    };
    if (windowMs > 0) setTimeout(run, windowMs);
    else setImmediate(run);
  }

  /** Starts every batch that can start now: requests in arrival order whose products are free. */
  private startBatches(): void {
    for (;;) {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      void this.write(batch);
    }
  }

  private takeBatch(): Waiter[] {
    const batch: Waiter[] = [];
    const rest: Waiter[] = [];
    // Products of requests left waiting: a later request touching one of them must wait too.
    const blocked = new Set(this.inFlight);
    for (const w of this.pending) {
      // One statement has one time to live: a request with another one waits for the next batch.
      const free =
        batch.length < this.opts.maxBatch &&
        (batch[0] === undefined || w.ttlSeconds === batch[0].ttlSeconds) &&
        w.lines.every((l) => !blocked.has(l.productId));
      if (free) batch.push(w);
      else {
        rest.push(w);
        for (const l of w.lines) blocked.add(l.productId);
      }
    }
    this.pending = rest;
    for (const w of batch) for (const l of w.lines) this.inFlight.add(l.productId);
    return batch;
  }

  private async write(batch: Waiter[]): Promise<void> {
    this.stats.batches += 1;
    this.stats.requests += batch.length;
    try {
      const decisions = await placeHolds(this.pool, batch, present(batch[0], 'first request of a batch').ttlSeconds);
      batch.forEach((w, i) => w.resolve(present(decisions[i], `decision for request ${i + 1} of the batch`)));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
    for (const w of batch) for (const l of w.lines) this.inFlight.delete(l.productId);
    // Whatever arrived while this batch was in the database forms the next one, at once.
    if (this.pending.length > 0) this.schedule(0);
  }
}
