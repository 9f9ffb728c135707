import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { checkoutClients, loopLoad, type Measurement } from '../lib/load.ts';

/** The service's own single-statement hold (src/adapters/postgres/sql/place-hold.sql), used as is. */
const SINGLE_STATEMENT = readFileSync(new URL('../../src/adapters/postgres/sql/place-hold.sql', import.meta.url), 'utf8');

/** What most implementations do: lock the row, check in the application, update, insert. */
const LOCK = 'select available from products where id = $1 for update';
const TAKE = 'update products set available = available - $2, version = version + 1, updated_at = now() where id = $1';
const INSERT = `insert into holds (product_id, quantity, expires_at) values ($1, $2, now() + interval '10 minutes') returning id`;

/** A plain pg loop per connection, each doing the single-statement conditional hold on one product. */
export async function singleStatementLoop(
  pool: pg.Pool,
  productId: number,
  connections: number,
  seconds: number,
): Promise<Measurement> {
  const clients = await checkoutClients(pool, connections);
  try {
    return await loopLoad(connections, seconds, async (w) => {
      const { rowCount } = await clients[w]!.query(SINGLE_STATEMENT, [productId, 1, 600]);
      return rowCount === 1;
    });
  } finally {
    for (const c of clients) c.release();
  }
}

/** A plain pg loop per connection, each doing BEGIN; SELECT ... FOR UPDATE; UPDATE; INSERT; COMMIT. */
export async function lockThenUpdateLoop(
  pool: pg.Pool,
  productId: number,
  connections: number,
  seconds: number,
): Promise<Measurement> {
  const clients = await checkoutClients(pool, connections);
  try {
    return await loopLoad(connections, seconds, async (w) => {
      const c = clients[w]!;
      await c.query('begin');
      try {
        const { rows } = await c.query<{ available: number }>(LOCK, [productId]);
        if (!rows[0] || rows[0].available < 1) {
          await c.query('rollback');
          return false;
        }
        await c.query(TAKE, [productId, 1]);
        await c.query(INSERT, [productId, 1]);
        await c.query('commit');
        return true;
      } catch (err) {
        await c.query('rollback');
        throw err;
      }
    });
  } finally {
    for (const c of clients) c.release();
  }
}
