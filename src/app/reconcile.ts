import { readCustomersPastLimit, readOverduePastGrace, readStock, readStockFigures } from '../adapters/postgres/products.ts';
import { withTransaction } from '../adapters/postgres/db.ts';
import { checkCustomerUnits, checkOverdue, checkStockFigures, type StockFigures, type Violation } from '../domain/invariants.ts';
import type { AppContext, StockSnapshot } from './ports.ts';

export interface ReconcileReport {
  products: number;
  /** Products whose mirror was missing or differed from the database, and is now repaired. */
  repaired: { productId: number; result: 'created' | 'changed' }[];
}

/**
 * Re-copies every product's stock from the database into the mirror with the same versioned
 * compare-and-set as the request path, so it is safe to run at any time on any replica.
 */
export async function reconcile(ctx: Pick<AppContext, 'pool' | 'mirror'>, ids: number[] | null = null): Promise<ReconcileReport> {
  const rows = await readStock(ctx.pool, ids);
  const snapshots: StockSnapshot[] = rows.map((r) => ({ productId: r.id, available: r.available, version: r.version }));
  const results = await ctx.mirror.writeMany(snapshots);
  const repaired: ReconcileReport['repaired'] = [];
  snapshots.forEach(({ productId }, i) => {
    const result = results[i];
    if (result === 'created' || result === 'changed') repaired.push({ productId, result });
  });
  return { products: rows.length, repaired };
}

export interface InvariantReport {
  figures: StockFigures[];
  violations: Violation[];
}

/** How late a hold or an order may end before `check` calls it a violation, unless told otherwise. */
export const OVERDUE_GRACE_SECONDS = 60;

/**
 * Reads I1's numbers, the customers past a limit (I8) and what is overdue by more than the grace
 * (I3, I9) from one database snapshot, and the mirror beside them (I2), and checks them all.
 */
export async function checkInvariants(
  ctx: Pick<AppContext, 'pool' | 'mirror'>,
  ids: number[] | null = null,
  graceSeconds = OVERDUE_GRACE_SECONDS,
): Promise<InvariantReport> {
  const [rows, pastLimit, overdue] = await withTransaction(
    ctx.pool,
    async (tx) =>
      [
        await readStockFigures(tx, ids),
        await readCustomersPastLimit(tx, ids),
        await readOverduePastGrace(tx, ids, graceSeconds),
      ] as const,
    { isolation: 'repeatable read' },
  );
  const figures: StockFigures[] = [];
  for (const r of rows) {
    figures.push({
      productId: r.id,
      totalStock: r.total_stock,
      available: r.available,
      held: r.held,
      ordered: r.ordered,
      mirrored: await ctx.mirror.read(r.id),
    });
  }
  const fairness = pastLimit.flatMap((c) =>
    checkCustomerUnits({
      productId: c.product_id,
      customerId: c.customer_id,
      units: c.units,
      maxPerCustomer: c.max_per_customer,
    }),
  );
  const late = overdue.flatMap((o) =>
    checkOverdue({
      invariant: o.invariant,
      productId: o.product_id,
      late: o.late,
      oldestSeconds: o.oldest_seconds,
      graceSeconds,
    }),
  );
  return { figures, violations: [...figures.flatMap(checkStockFigures), ...fairness, ...late] };
}
