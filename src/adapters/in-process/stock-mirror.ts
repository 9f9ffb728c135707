import type { MirrorWriteResult, StockMirror, StockSnapshot } from '../../app/ports.ts';

/**
 * The mirror of available stock kept in this process, for the embedded shape (no REDIS_URL).
 * Same contract as the Redis mirror and its Lua compare-and-set: a write carrying an older version
 * than the one held is refused, so writes arriving out of order never roll the mirror back.
 */
export class InProcessStockMirror implements StockMirror {
  private readonly entries = new Map<number, { available: number; version: number }>();

  async read(productId: number): Promise<number | null> {
    return this.entries.get(productId)?.available ?? null;
  }

  async write(snapshot: StockSnapshot): Promise<MirrorWriteResult> {
    return this.compareAndSet(snapshot);
  }

  async writeMany(snapshots: StockSnapshot[]): Promise<MirrorWriteResult[]> {
    return snapshots.map((s) => this.compareAndSet(s));
  }

  // Synchronous, so each call is atomic in this process exactly as the Lua script is in Redis.
  private compareAndSet(s: StockSnapshot): MirrorWriteResult {
    const old = this.entries.get(s.productId);
    if (old && old.version > s.version) return 'stale';
    this.entries.set(s.productId, { available: s.available, version: s.version });
    if (!old) return 'created';
    return old.available === s.available ? 'unchanged' : 'changed';
  }
}
