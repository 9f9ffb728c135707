import { findHold, holdOf } from '../adapters/postgres/holds.ts';
import { holdNotFound } from '../domain/errors.ts';
import type { Hold } from '../domain/hold.ts';
import type { AppContext } from './ports.ts';

/** A hold as the database has it now. */
export async function getHold(ctx: Pick<AppContext, 'pool'>, holdId: string): Promise<Hold> {
  const hold = await findHold(ctx.pool, holdId);
  if (!hold) throw holdNotFound(holdId);
  return holdOf(hold);
}
