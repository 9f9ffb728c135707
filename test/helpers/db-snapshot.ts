import type pg from 'pg';

/** Every row count and every product's stock figures: equal snapshots mean nothing was written. */
export async function dbSnapshot(pool: pg.Pool): Promise<Record<string, unknown>> {
  const { rows: counts } = await pool.query(
    `select (select count(*)::int from products) as products, (select count(*)::int from holds) as holds,
            (select count(*)::int from orders) as orders, (select count(*)::int from payment_events) as payment_events,
            (select count(*)::int from stock_movements) as stock_movements`,
  );
  const { rows: stock } = await pool.query('select id::int, available, version::text from products order by id');
  const { rows: statuses } = await pool.query(
    `select (select string_agg(status::text, ',' order by id) from holds) as holds,
            (select string_agg(payment_status::text, ',' order by id) from orders) as orders`,
  );
  return { ...counts[0], stock, statuses: statuses[0] };
}
