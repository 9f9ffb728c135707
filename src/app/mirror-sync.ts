import type { AppContext, StockSnapshot } from './ports.ts';

/**
 * Copies committed stock to the mirror after a commit. A failure is only logged: PostgreSQL already
 * holds the truth, and the reconciler heals the mirror within seconds.
 */
export async function syncMirror(ctx: Pick<AppContext, 'mirror' | 'log'>, snapshots: StockSnapshot[]): Promise<void> {
  if (snapshots.length === 0) return;
  try {
    const [only] = snapshots;
    if (snapshots.length === 1 && only) await ctx.mirror.write(only);
    else await ctx.mirror.writeMany(snapshots);
  } catch (err) {
    ctx.log.warn({ err, products: snapshots.map((s) => s.productId) }, 'mirror write failed; the reconciler will repair it');
  }
}

export const snapshotOf = (row: { product_id: number; available: number; version: number }): StockSnapshot => ({
  productId: row.product_id,
  available: row.available,
  version: row.version,
});
