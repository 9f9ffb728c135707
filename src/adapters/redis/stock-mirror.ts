import { readFileSync } from 'node:fs';
import { Cluster, type ClientContext, type Result } from 'ioredis';
import { present } from '../../domain/present.ts';
import type { RedisClient } from './client.ts';
import type { MirrorWriteResult, StockMirror, StockSnapshot } from '../../app/ports.ts';

const SET_STOCK = readFileSync(new URL('./commands/set-stock-2.lua', import.meta.url), 'utf8');
const RESULTS: Record<string, MirrorWriteResult> = { '2': 'created', '1': 'changed', '0': 'unchanged', '-1': 'stale' };

/** What set-stock-2.lua answered; any other reply means the script and this file disagree. */
function mirrorResult(code: unknown): MirrorWriteResult {
  const result = RESULTS[String(code)];
  if (result === undefined) throw new Error(`set-stock-2.lua answered ${String(code)}, which is none of 2, 1, 0, -1`);
  return result;
}

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    flashsaleSetStock(
      stockKey: string,
      versionKey: string,
      available: number,
      version: number,
      channel: string,
      productId: number,
    ): Result<number, Context>;
  }
}

/** The key clients and operators read: `product:<id>:stock` (after an optional prefix). */
export const stockKey = (prefix: string, productId: number): string => `${prefix}product:${productId}:stock`;
/** The version beside it, hash-tagged on the stock key so both live in one cluster slot. */
export const stockVersionKey = (prefix: string, productId: number): string =>
  `${prefix}stockver:{${stockKey(prefix, productId)}}`;

/** The pub/sub channel on which every change of a mirrored stock is published: "<id> <available> <version>". */
export const stockChangesChannel = (prefix: string): string => `${prefix}stock-changes`;

/**
 * The Redis mirror of available stock: a plain integer per product plus its version. Every write
 * that changes a value is published on the stock-changes channel.
 */
export class RedisStockMirror implements StockMirror {
  private readonly channel: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = '',
  ) {
    if (!redis.flashsaleSetStock) redis.defineCommand('flashsaleSetStock', { numberOfKeys: 2, lua: SET_STOCK });
    this.channel = stockChangesChannel(prefix);
  }

  async read(productId: number): Promise<number | null> {
    const value = await this.redis.get(stockKey(this.prefix, productId));
    return value === null ? null : Number(value);
  }

  /** The mirrored stock with its version, read together; null when the stock key is missing. */
  async readSnapshot(productId: number): Promise<StockSnapshot | null> {
    const [available, version] = await this.redis.mget(stockKey(this.prefix, productId), stockVersionKey(this.prefix, productId));
    if (available === null || available === undefined) return null;
    return { productId, available: Number(available), version: Number(version ?? 0) };
  }

  async write(s: StockSnapshot): Promise<MirrorWriteResult> {
    const code = await this.redis.flashsaleSetStock(
      stockKey(this.prefix, s.productId),
      stockVersionKey(this.prefix, s.productId),
      s.available,
      s.version,
      this.channel,
      s.productId,
    );
    return mirrorResult(code);
  }

  async writeMany(snapshots: StockSnapshot[]): Promise<MirrorWriteResult[]> {
    if (snapshots.length === 0) return [];
    // A pipeline must stay on one node; on a cluster the products' slots are spread over all masters,
    // so each write goes alone (auto-pipelining, where enabled, still batches them per node).
    if (this.redis instanceof Cluster) return this.writeEachInOrder(snapshots);
    const pipeline = this.redis.pipeline();
    for (const s of snapshots) {
      pipeline.flashsaleSetStock(
        stockKey(this.prefix, s.productId),
        stockVersionKey(this.prefix, s.productId),
        s.available,
        s.version,
        this.channel,
        s.productId,
      );
    }
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, code]) => {
      if (err) throw err;
      return mirrorResult(code);
    });
  }

  /**
   * Products side by side, but the writes of one product one after another: a command the cluster
   * client sends again (after MOVED, NOSCRIPT or a reconnect) goes behind the ones sent after it, so
   * two concurrent writes of one product could reach Redis in the other order, and the older
   * snapshot would be answered `stale` instead of in its turn.
   */
  private async writeEachInOrder(snapshots: StockSnapshot[]): Promise<MirrorWriteResult[]> {
    const results: MirrorWriteResult[] = [];
    const byProduct = new Map<number, number[]>();
    snapshots.forEach((s, i) => {
      const indexes = byProduct.get(s.productId);
      if (indexes) indexes.push(i);
      else byProduct.set(s.productId, [i]);
    });
    await Promise.all(
      [...byProduct.values()].map(async (indexes) => {
        for (const i of indexes) results[i] = await this.write(present(snapshots[i], `snapshot ${i}`));
      }),
    );
    return results;
  }
}
