import { endHold, expireOverdueHoldRows, findHold } from '../../adapters/postgres/holds.ts';
import type { HoldStatus } from '../../domain/hold.ts';
import { snapshotOf, syncMirror } from '../mirror-sync.ts';
import type { AppContext, StockSnapshot } from '../ports.ts';

export type ExpireHoldResult =
  | { kind: 'expired'; lagMs: number }
  | { kind: 'not-due'; remainingMs: number }
  | { kind: 'not-active'; status: HoldStatus }
  | { kind: 'not-found' };

/** Expires one hold if it is active and due by the database clock; harmless to run twice. */
export async function expireHold(ctx: AppContext, holdId: string, by: 'job' | 'request'): Promise<ExpireHoldResult> {
  const ended = await endHold(ctx.pool, holdId, 'expired', by);
  const first = ended[0];
  if (first) {
    await syncMirror(ctx, ended.map(snapshotOf));
    const lagMs = first.ended_at.getTime() - first.expires_at.getTime();
    ctx.metrics.holdExpired(by, lagMs);
    return { kind: 'expired', lagMs };
  }
  const hold = await findHold(ctx.pool, holdId);
  if (!hold) return { kind: 'not-found' };
  if (hold.status === 'active' && hold.live) {
    return { kind: 'not-due', remainingMs: hold.remaining_ms };
  }
  return { kind: 'not-active', status: hold.status };
}

/**
 * The sweeper: expires every overdue active hold, in batches, whatever happened to their jobs.
 * Returns how many it expired and their ids.
 */
export async function expireOverdueHolds(ctx: AppContext, batchSize = 500): Promise<{ expired: number; ids: string[] }> {
  const ids: string[] = [];
  for (;;) {
    // One row per line: a hold of several lines appears once per product.
    const rows = await expireOverdueHoldRows(ctx.pool, batchSize);
    const latest = new Map<number, StockSnapshot>();
    const holds = new Set<string>();
    for (const row of rows) {
      latest.set(row.product_id, snapshotOf(row));
      if (holds.has(row.id)) continue;
      holds.add(row.id);
      ids.push(row.id);
      ctx.metrics.holdExpired('sweeper', row.ended_at.getTime() - row.expires_at.getTime());
    }
    await syncMirror(ctx, [...latest.values()]);
    if (holds.size < batchSize) return { expired: ids.length, ids };
  }
}
