import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { checkoutClients, loopLoad, type Measurement } from '../lib/measure.ts';

/**
 * The least a hold can be: one statement that takes a unit if one is left and inserts the hold
 * with its one line, with no audit row, no version and nothing returned. What a peer would write
 * as the fastest correct loop, and so the baseline of the sell path.
 */
export const MINIMAL_HOLD = `with u as (
  update products set available = available - 1 where id = $1 and available >= 1 returning id
), h as (
  insert into holds (expires_at) select now() + interval '10 minutes' from u returning id
)
insert into hold_lines (hold_id, product_id, line_no, quantity) select h.id, $1, 1, 1 from h`;

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

/** A cart in one plain statement, without group commit (bench/baselines/place-cart.sql). */
const CART_STATEMENT = readFileSync(new URL('../baselines/place-cart.sql', import.meta.url), 'utf8');

/** A plain pg loop per connection, each placing the same cart (one unit of each product) in one statement. */
export async function cartStatementLoop(
  pool: pg.Pool,
  productIds: number[],
  connections: number,
  seconds: number,
): Promise<Measurement> {
  const clients = await checkoutClients(pool, connections);
  const quantities = productIds.map(() => 1);
  try {
    return await loopLoad(connections, seconds, async (w) => {
      // One statement that locks and then updates can deadlock under contention (PostgreSQL
      // resolves it by failing one): a careful client runs it again, as this one does.
      for (let attempt = 0; ; attempt++) {
        try {
          const { rowCount } = await clients[w]!.query(CART_STATEMENT, [productIds, quantities, 600]);
          return rowCount === 1;
        } catch (err) {
          if ((err as { code?: string }).code !== '40P01' || attempt >= 5) throw err;
        }
      }
    });
  } finally {
    for (const c of clients) c.release();
  }
}
