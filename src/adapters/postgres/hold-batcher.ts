import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { placeHoldBatch, type BatchAnswerRow } from './hold-batches.ts';
import type { PlacedHoldRow } from './holds.ts';
import type { StockSnapshot } from '../../domain/stock.ts';

export interface HoldBatcherOptions {
  /** Most holds written by one statement. */
  maxBatch: number;
  /**
   * How long the first hold of a batch waits for company. 0 waits one event-loop turn only: under
   * load the batch in flight is the natural window, and a quiet shop pays no delay.
   */
  windowMs: number;
}

/**
 * What the database decided for one hold of a batch. `leadsBatch` is true for exactly one hold per
 * batch: that one writes the batch's stock to the mirror, instead of every hold writing the same.
 */
export type BatchedHold =
  | { kind: 'placed'; row: PlacedHoldRow; leadsBatch: boolean }
  | { kind: 'refused'; stock: StockSnapshot; leadsBatch: boolean }
  | { kind: 'unknown-product' };

interface Waiter {
  id: string;
  quantity: number;
  resolve(result: BatchedHold): void;
  reject(err: unknown): void;
}

interface ProductQueue {
  productId: number;
  ttlSeconds: number;
  pending: Waiter[];
  busy: boolean;
}

/**
 * Group commit for hot products. Holds for one product that arrive while its previous batch is in
 * the database (or within `windowMs`) are written together: one row lock, one insert of all
 * holds, one commit, so the lock is held once per batch instead of once per hold. Each hold is
 * answered only after the commit that contains it. Across processes nothing changes: every batch
 * is one conditional update on the product row, which stays the arbiter.
 */
export class HoldBatcher {
  private readonly queues = new Map<string, ProductQueue>();
  /** Batches written and holds requested through them, for benchmarks and tests. */
  readonly stats = { batches: 0, requests: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: HoldBatcherOptions,
  ) {}

  place(productId: number, quantity: number, ttlSeconds: number): Promise<BatchedHold> {
    const key = `${productId}:${ttlSeconds}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { productId, ttlSeconds, pending: [], busy: false };
      this.queues.set(key, queue);
    }
    const q = queue;
    return new Promise<BatchedHold>((resolve, reject) => {
      q.pending.push({ id: randomUUID(), quantity, resolve, reject });
      if (!q.busy) this.schedule(key, q);
    });
  }

  private schedule(key: string, q: ProductQueue): void {
    q.busy = true;
    const run = () => void this.flush(key, q);
    if (this.opts.windowMs > 0) setTimeout(run, this.opts.windowMs);
    else setImmediate(run);
  }

  private async flush(key: string, q: ProductQueue): Promise<void> {
    const batch = q.pending.splice(0, this.opts.maxBatch);
    this.stats.batches += 1;
    this.stats.requests += batch.length;
    try {
      const rows = await placeHoldBatch(this.pool, q.productId, batch, q.ttlSeconds);
      settle(batch, rows);
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
    // Whatever arrived while this batch was in the database forms the next one, at once.
    if (q.pending.length > 0) setImmediate(() => void this.flush(key, q));
    else {
      q.busy = false;
      this.queues.delete(key);
    }
  }
}

function settle(batch: Waiter[], rows: BatchAnswerRow[]): void {
  if (rows.length === 0) {
    for (const w of batch) w.resolve({ kind: 'unknown-product' });
    return;
  }
  batch.forEach((w, i) => {
    const row = rows[i]!;
    const leadsBatch = i === 0;
    if (row.granted) {
      w.resolve({
        kind: 'placed',
        leadsBatch,
        row: {
          id: row.id!,
          product_id: row.product_id,
          quantity: row.quantity,
          status: row.status!,
          expires_at: row.expires_at!,
          created_at: row.created_at!,
          available: row.available,
          version: row.version,
          db_now: row.db_now,
        },
      });
    } else {
      w.resolve({
        kind: 'refused',
        leadsBatch,
        stock: { productId: row.product_id, available: row.available, version: row.version },
      });
    }
  });
}
