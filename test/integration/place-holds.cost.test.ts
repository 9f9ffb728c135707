import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeHolds, type HoldRequest } from '../../src/adapters/postgres/hold-batches.ts';
import { expireOverdueHoldRows } from '../../src/adapters/postgres/holds.ts';
import { confirmHoldIntoOrder } from '../../src/adapters/postgres/orders.ts';
import { createOwnDatabase, type OwnDatabase } from '../helpers/database.ts';

/** The tables that grow with every hold placed, or with every order made from one. */
const GROWING = ['holds', 'hold_lines', 'stock_movements', 'orders', 'order_lines'];
const NO_SCAN = Object.fromEntries(GROWING.map((t) => [t, 0]));

/**
 * A batch's cost must not grow with the sale: placing holds reads the growing tables only by key.
 * A sequential scan there is read while the batch keeps its products locked, so every hold of the
 * sale would wait longer than the one before (a batch of one, without group commit, most of all).
 */
describe('the cost of placing holds as the sale grows', () => {
  let db: OwnDatabase;
  let pool: pg.Pool;
  let products: number[];
  beforeAll(async () => {
    db = await createOwnDatabase('cost');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const { rows } = await pool.query<{ id: string }>(
      `insert into products (name, price, total_stock, available)
       select 'cost ' || g, 1, 100000, 100000 from generate_series(1, 3) g returning id`,
    );
    products = rows.map((r) => Number(r.id));
    // A sale already under way: 5,000 holds, with their lines and movements.
    await placeHolds(
      pool,
      Array.from({ length: 5_000 }, (_, i) => oneLine(products[i % 3]!)),
      600,
    );
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const oneLine = (productId: number): HoldRequest => ({ id: randomUUID(), lines: [{ productId, quantity: 1 }] });

  /** Sequential scans of the growing tables by `place` (counted inside one transaction). */
  function seqScansDuring(place: (client: pg.PoolClient) => Promise<unknown>): Promise<Record<string, number>> {
    return countsDuring(
      place,
      `select relname as name, seq_scan as n from pg_stat_xact_user_tables where relname = any($1::text[])`,
      GROWING,
    );
  }

  /** Scans of the given indexes by `place` (counted inside one transaction). */
  function indexScansDuring(
    place: (client: pg.PoolClient) => Promise<unknown>,
    indexes: string[],
  ): Promise<Record<string, number>> {
    return countsDuring(
      place,
      `select relname as name, pg_stat_get_xact_numscans(oid) as n from pg_class where relname = any($1::text[]) and relkind = 'i'`,
      indexes,
    );
  }

  async function countsDuring(
    place: (client: pg.PoolClient) => Promise<unknown>,
    statistics: string,
    names: string[],
  ): Promise<Record<string, number>> {
    const client = await pool.connect();
    const read = async () =>
      Object.fromEntries(
        (await client.query<{ name: string; n: string }>(statistics, [names])).rows.map((r) => [r.name, Number(r.n)]),
      );
    try {
      await client.query('begin');
      const before = await read();
      await place(client);
      const after = await read();
      await client.query('commit');
      return Object.fromEntries(names.map((t) => [t, (after[t] ?? 0) - (before[t] ?? 0)]));
    } finally {
      client.release();
    }
  }

  it('a hold alone (no group commit) scans none of holds, hold_lines, stock_movements', async () => {
    const decisions = await seqScansDuring(async (client) => {
      const [d] = await placeHolds(client, [oneLine(products[0]!)], 600);
      expect(d!.kind).toBe('placed');
    });
    expect(decisions).toEqual(NO_SCAN);
  });

  it('a batch of carts, one refused and one for an unknown product, scans none of them either', async () => {
    const scans = await seqScansDuring(async (client) => {
      const decisions = await placeHolds(
        client,
        [
          {
            id: randomUUID(),
            lines: [
              { productId: products[2]!, quantity: 2 },
              { productId: products[0]!, quantity: 1 },
            ],
          },
          { id: randomUUID(), lines: [{ productId: products[1]!, quantity: 1_000_000 }] },
          { id: randomUUID(), lines: [{ productId: 987_654_321, quantity: 1 }] },
          oneLine(products[1]!),
        ],
        600,
      );
      expect(decisions.map((d) => d.kind)).toEqual(['placed', 'refused', 'unknown-product', 'placed']);
    });
    expect(scans).toEqual(NO_SCAN);
  });

  it("the sweeper's statement expires due holds without scanning the active ones or every line", async () => {
    const due = Array.from({ length: 300 }, (_, i) => oneLine(products[i % 3]!));
    await placeHolds(pool, due, 0.001);
    await new Promise((r) => setTimeout(r, 20));
    const scans = await seqScansDuring(async (client) => {
      const rows = await expireOverdueHoldRows(client, 1_000);
      expect(new Set(rows.map((r) => r.id))).toEqual(new Set(due.map((d) => d.id)));
    });
    expect(scans).toEqual(NO_SCAN);
  });

  it('a batch on a limited product counts its customers by key: no scan of the holds, the orders or their lines', async () => {
    const limited = products[2]!;
    await pool.query('update products set max_per_customer = 1000 where id = $1', [limited]);
    // Customers with holds of their own, beside the 5,000 anonymous ones, and orders made from some
    // of both: the count reads a customer's active holds and their orders created or paid.
    const customers = Array.from({ length: 500 }, (_, i) => ({ ...oneLine(limited), customerId: `cost-${i % 50}` }));
    await placeHolds(pool, customers, 600);
    const anonymous = (await pool.query<{ id: string }>('select id from holds where customer_id is null limit 400')).rows;
    for (const hold of [...customers.slice(0, 100), ...anonymous]) {
      expect(await confirmHoldIntoOrder(pool, hold.id, 0)).not.toBeNull();
    }
    const scans = await seqScansDuring(async (client) => {
      const decisions = await placeHolds(
        client,
        Array.from({ length: 20 }, (_, i) => ({ ...oneLine(limited), customerId: `cost-${i % 5}` })),
        600,
      );
      expect(decisions.map((d) => d.kind)).toEqual(Array.from({ length: 20 }, () => 'placed'));
    });
    expect(scans).toEqual(NO_SCAN);
  });

  it("counts each customer of a limited product once per batch, however many of the batch's requests are theirs", async () => {
    const limited = products[2]!;
    // 20 requests from 5 customers (the previous test made the product limited and gave them holds
    // and orders): one probe of each customer index per customer, not per request.
    const probes = await indexScansDuring(
      async (client) => {
        const decisions = await placeHolds(
          client,
          Array.from({ length: 20 }, (_, i) => ({ ...oneLine(limited), customerId: `cost-${i % 5}` })),
          600,
        );
        expect(decisions.map((d) => d.kind)).toEqual(Array.from({ length: 20 }, () => 'placed'));
      },
      ['holds_active_customer', 'orders_customer'],
    );
    expect(probes).toEqual({ holds_active_customer: 5, orders_customer: 5 });
  });
});
