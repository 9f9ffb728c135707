import type pg from 'pg';
import { checkoutClients, loopLoad, type Measurement } from '../lib/load.ts';

/**
 * The least a hold can be: one statement that takes a unit if one is left and inserts the hold,
 * with no audit row, no version and nothing returned. What a peer would write as the fastest
 * correct loop, and so the baseline of the sell path.
 */
export const MINIMAL_HOLD = `with u as (
  update products set available = available - 1 where id = $1 and available >= 1 returning id
)
insert into holds (product_id, quantity, expires_at) select id, 1, now() + interval '10 minutes' from u`;

/** A plain pg loop per client, each running the minimal hold on one product as fast as it can. */
export async function minimalHoldLoop(pool: pg.Pool, productId: number, clients: number, seconds: number): Promise<Measurement> {
  const checkedOut = await checkoutClients(pool, clients);
  try {
    return await loopLoad(clients, seconds, async (w) => {
      const { rowCount } = await checkedOut[w]!.query(MINIMAL_HOLD, [productId]);
      return rowCount === 1;
    });
  } finally {
    for (const c of checkedOut) c.release();
  }
}
