import type { RedisClient } from './client.ts';
import type { NearStock, StockSnapshot } from '../../app/ports.ts';
import { stockChangesChannel, type RedisStockMirror } from './stock-mirror.ts';

export interface NearCacheOptions {
  /** An entry older than this is read from Redis again, even if no change was published. */
  maxAgeMs: number;
  /** Past this many products the cache starts over (a shop has far fewer hot products). */
  maxEntries?: number;
}

interface Entry {
  available: number;
  version: number;
  /** performance.now() when the entry was last confirmed by Redis or by a published change. */
  at: number;
}

/**
 * The stock an API process has seen, kept in memory in front of the Redis mirror (DESIGN.md: a
 * near cache may answer, never decide). It answers the mirror reads that refuse a sold-out hold
 * and that show a product's stock; PostgreSQL still decides every grant, as without it. Writes go
 * to the mirror itself, which publishes them back here.
 *
 * It is kept current by the stock-changes channel, on which the mirror's compare-and-set script
 * publishes every change, and it is only used while that subscription is live: when the
 * subscriber's connection closes, every entry is dropped and reads go to Redis until the
 * subscription is back (a change published meanwhile would have been missed). Entries carry the
 * mirror's version, so a read answered by Redis and a published change arriving on another
 * connection in the other order never roll an entry back; and an entry older than `maxAgeMs` is
 * read again, a bound on staleness even if a change were lost some other way.
 */
export class NearStockCache implements NearStock {
  private readonly entries = new Map<number, Entry>();
  private readonly channel: string;
  private readonly maxEntries: number;
  private live = false;
  /** Bumped whenever the entries are dropped: a Redis read begun before cannot fill the cache after. */
  private epoch = 0;
  /** Reads answered from memory and reads that went to Redis, for tests and benchmarks. */
  readonly stats = { hits: 0, misses: 0, drops: 0 };

  constructor(
    private readonly mirror: RedisStockMirror,
    private readonly subscriber: RedisClient,
    prefix: string,
    private readonly opts: NearCacheOptions,
  ) {
    this.channel = stockChangesChannel(prefix);
    this.maxEntries = opts.maxEntries ?? 10_000;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onChange(message);
    });
    subscriber.on('ready', () => void this.subscribe());
    subscriber.on('close', () => this.drop());
    if (subscriber.status === 'ready') void this.subscribe();
  }

  /** True while changes are being received, so entries may answer. */
  get isLive(): boolean {
    return this.live;
  }

  get size(): number {
    return this.entries.size;
  }

  peek(productId: number): number | undefined {
    if (!this.live) return undefined;
    const entry = this.entries.get(productId);
    if (!entry || performance.now() - entry.at >= this.opts.maxAgeMs) return undefined;
    this.stats.hits += 1;
    return entry.available;
  }

  async read(productId: number): Promise<number | null> {
    const known = this.peek(productId);
    if (known !== undefined) return known;
    this.stats.misses += 1;
    const epoch = this.epoch;
    const snapshot = await this.mirror.readSnapshot(productId);
    if (snapshot === null) return null;
    if (this.live && epoch === this.epoch) this.remember(snapshot);
    return snapshot.available;
  }

  /** Drops every entry; reads go to Redis until the subscription is confirmed again. */
  drop(): void {
    if (this.live || this.entries.size > 0) this.stats.drops += 1;
    this.live = false;
    this.epoch += 1;
    this.entries.clear();
  }

  private async subscribe(): Promise<void> {
    const epoch = this.epoch;
    try {
      await this.subscriber.subscribe(this.channel);
    } catch {
      return; // the connection went away again; its next 'ready' tries again
    }
    // Only if the connection did not drop while subscribing; entries from before start over.
    if (epoch !== this.epoch || this.subscriber.status !== 'ready') return;
    this.entries.clear();
    this.epoch += 1;
    this.live = true;
  }

  private onChange(message: string): void {
    if (!this.live) return;
    const [id, available, version] = message.split(' ').map(Number);
    if (id === undefined || available === undefined || version === undefined) return;
    if (!Number.isSafeInteger(id) || !Number.isSafeInteger(available) || !Number.isSafeInteger(version)) return;
    this.remember({ productId: id, available, version });
  }

  private remember(s: StockSnapshot): void {
    const entry = this.entries.get(s.productId);
    const at = performance.now();
    if (entry && entry.version > s.version) return;
    if (entry && entry.version === s.version) {
      entry.at = at;
      return;
    }
    if (!entry && this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(s.productId, { available: s.available, version: s.version, at });
  }
}
