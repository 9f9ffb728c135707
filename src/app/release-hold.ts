import { endHold, findHold } from '../adapters/postgres/holds.ts';
import { holdNotFound } from '../domain/errors.ts';
import { holdNotActiveError } from '../domain/hold.ts';
import { expireHold } from './expiry/expire-holds.ts';
import { snapshotOf, syncMirror } from './mirror-sync.ts';
import type { AppContext } from './ports.ts';

/** Gives an active hold's stock back before it expires. An overdue hold expires instead. */
export async function releaseHold(ctx: AppContext, holdId: string): Promise<void> {
  const ended = await endHold(ctx.pool, holdId, 'released', 'client');
  if (ended.length > 0) {
    await syncMirror(ctx, ended.map(snapshotOf));
    ctx.metrics.holdReleased();
    // Not awaited: a leftover job finds the hold ended and does nothing.
    void ctx.expiry.cancel(holdId).catch((err: unknown) => ctx.log.debug({ err, holdId }, 'could not cancel expiry job'));
    return;
  }
  const hold = await findHold(ctx.pool, holdId);
  if (!hold) throw holdNotFound(holdId);
  if (hold.status === 'active') {
    // Not live any more: it is overdue, so it expires now rather than being released.
    await expireHold(ctx, holdId, 'request');
    throw holdNotActiveError({ id: holdId, status: 'expired' });
  }
  throw holdNotActiveError({ id: hold.id, status: hold.status });
}
