import type pg from 'pg';
import { readStockFigures } from '../../src/adapters/postgres/products.ts';
import { withTransaction } from '../../src/adapters/postgres/db.ts';
import { checkStockFigures, type StockFigures, type Violation } from '../../src/domain/invariants.ts';
import type { Acknowledged } from './flash-sale-load.ts';
import { sleep } from './harness.ts';

/**
 * Samples I1 from one database snapshot every `everyMs` while the sale runs: available never below
 * zero and available + held + ordered always equal to the total stock. The mirror may lag under
 * load, so it is only checked for going negative here; its equality is checked at the end.
 */
export function sampleStock(
  pool: pg.Pool,
  productIds: number[],
  readMirror: (id: number) => Promise<number | null>,
  everyMs = 100,
) {
  const violations: Violation[] = [];
  let samples = 0;
  let failedSamples = 0;
  let minAvailable = Infinity;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const rows = await withTransaction(pool, (tx) => readStockFigures(tx, productIds), { isolation: 'repeatable read' });
        for (const r of rows) {
          minAvailable = Math.min(minAvailable, r.available);
          const figures: StockFigures = {
            productId: r.id,
            totalStock: r.total_stock,
            available: r.available,
            held: r.held,
            ordered: r.ordered,
            mirrored: r.available,
          };
          violations.push(...checkStockFigures(figures));
          const mirrored = await readMirror(r.id).catch(() => null);
          if (mirrored !== null && mirrored < 0)
            violations.push({ productId: r.id, invariant: 'I2', message: `mirror is ${mirrored}` });
        }
        samples++;
      } catch {
        failedSamples++;
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { samples, failedSamples, violations, minAvailable };
    },
  };
}

/**
 * Waits until no hold is active any more and returns how long that took. Every hold of the sale
 * has a TTL, so this bounds how long a hold can stay unfinished after the load (and the fault) end.
 */
export async function waitAllHoldsFinal(pool: pg.Pool, timeoutMs: number): Promise<{ waitedMs: number; active: number }> {
  const start = Date.now();
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from holds where status = 'active'`);
    const active = rows[0]!.n;
    if (active === 0 || Date.now() - start > timeoutMs) return { waitedMs: Date.now() - start, active };
    await sleep(100);
  }
}

export interface AckReport {
  holdsChecked: number;
  ordersChecked: number;
  paymentsChecked: number;
  problems: string[];
}

/** Every hold, release, order and payment acknowledged to a client is in the database, consistently. */
export async function verifyAcknowledged(pool: pg.Pool, acked: Acknowledged): Promise<AckReport> {
  const problems: string[] = [];
  const holds = new Map<string, { product_id: number; quantity: number; status: string; order_id: number | null }>();
  const { rows: holdRows } = await pool.query(
    `select h.id, l.product_id, l.quantity, h.status, o.id as order_id
       from holds h join hold_lines l on l.hold_id = h.id left join orders o on o.hold_id = h.id
      where h.id = any($1::uuid[])`,
    [[...acked.holds.keys()]],
  );
  for (const r of holdRows) holds.set(r.id, r);
  for (const [id, want] of acked.holds) {
    const got = holds.get(id);
    if (!got) problems.push(`acknowledged hold ${id} is missing`);
    else if (got.product_id !== want.productId || got.quantity !== want.quantity)
      problems.push(`hold ${id} changed: ${JSON.stringify(got)}`);
    else if (acked.releases.has(id) && got.status !== 'released') problems.push(`released hold ${id} is ${got.status}`);
    else if (got.status === 'confirmed' && got.order_id === null) problems.push(`confirmed hold ${id} has no order`);
    else if (got.status !== 'confirmed' && got.order_id !== null)
      problems.push(`hold ${id} is ${got.status} but has order ${got.order_id}`);
  }
  const { rows: orderRows } = await pool.query(`select id, hold_id, payment_status from orders where id = any($1::bigint[])`, [
    [...acked.orders.keys()],
  ]);
  const orders = new Map<number, { hold_id: string; payment_status: string }>(orderRows.map((r) => [r.id, r]));
  for (const [id, want] of acked.orders) {
    const got = orders.get(id);
    if (!got) problems.push(`acknowledged order ${id} is missing`);
    else if (got.hold_id !== want.holdId) problems.push(`order ${id} belongs to hold ${got.hold_id}, not ${want.holdId}`);
    else if (holds.get(want.holdId)?.status !== 'confirmed')
      problems.push(`order ${id}'s hold is ${holds.get(want.holdId)?.status}`);
  }
  let paymentsChecked = 0;
  for (const [orderId, answered] of acked.payments) {
    paymentsChecked += answered.length;
    const status = orders.get(orderId)?.payment_status;
    // A terminal status never changes, so every 200 answer reports the one status it has now.
    if (answered.some((s) => s !== status))
      problems.push(`order ${orderId} is ${status}; webhooks answered ${answered.join(',')}`);
  }
  return { holdsChecked: acked.holds.size, ordersChecked: acked.orders.size, paymentsChecked, problems };
}

/** The audit trail adds up: each product's stock movements sum to its available stock. */
export async function verifyLedger(pool: pg.Pool, productIds: number[]): Promise<string[]> {
  const { rows } = await pool.query(
    `select p.id, p.available, coalesce(sum(m.delta), 0)::int as ledger,
            (select count(*)::int from orders o join order_lines l on l.order_id = o.id join holds h on h.id = o.hold_id
              where l.product_id = p.id and h.status <> 'confirmed') as orphans
       from products p left join stock_movements m on m.product_id = p.id
      where p.id = any($1::bigint[]) group by p.id`,
    [productIds],
  );
  return rows.flatMap((r) => [
    ...(r.ledger === r.available ? [] : [`product ${r.id}: movements sum to ${r.ledger}, available is ${r.available}`]),
    ...(r.orphans === 0 ? [] : [`product ${r.id}: ${r.orphans} order(s) whose hold is not confirmed`]),
  ]);
}

/**
 * Expiry lag of every expired hold: how long after its expires_at it actually ended, or, for a
 * hold due while no worker ran, after `resumedAt` (epoch ms) when one was back.
 */
export async function expiryLags(
  pool: pg.Pool,
  resumedAt?: number,
): Promise<{
  expired: number;
  maxLagMs: number;
  p99LagMs: number;
  byPath: Record<string, number>;
  endedOverASecondLate: number;
}> {
  const { rows } = await pool.query<{ lag: number; ended_by: string; raw_lag: number }>(
    `select extract(epoch from ended_at - greatest(expires_at, to_timestamp($1::float8 / 1000))) * 1000 as lag, ended_by,
            extract(epoch from ended_at - expires_at) * 1000 as raw_lag
       from holds where status = 'expired' order by lag`,
    [resumedAt ?? 0],
  );
  const byPath: Record<string, number> = {};
  for (const r of rows) byPath[r.ended_by] = (byPath[r.ended_by] ?? 0) + 1;
  const lags = rows.map((r) => Number(r.lag));
  return {
    expired: lags.length,
    maxLagMs: Math.round(lags.at(-1) ?? 0),
    p99LagMs: Math.round(lags[Math.floor(lags.length * 0.99)] ?? 0),
    byPath,
    endedOverASecondLate: rows.filter((r) => Number(r.raw_lag) > 1_000).length,
  };
}
