import type pg from 'pg';

/**
 * `n` one-unit active holds of a product, written behind the service (no job is scheduled), all
 * due `inMs` from now by the database clock; the product's available stock goes down by `n`.
 */
export async function insertHoldsDueTogether(pool: pg.Pool, productId: number, n: number, inMs: number): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `with p as (update products set available = available - $2, version = version + 1 where id = $1 returning id),
          h as (insert into holds (expires_at)
                select now() + make_interval(secs => $3::double precision / 1000) from p, generate_series(1, $2::int)
                returning id),
          l as (insert into hold_lines (hold_id, product_id, line_no, quantity) select h.id, $1, 1, 1 from h)
     select id from h`,
    [productId, n, inMs],
  );
  return rows.map((r) => r.id);
}

/** A product's `hold_expired` stock movements: how many, the units they gave back, over how many holds. */
export async function expiredMovements(pool: pg.Pool, productId: number): Promise<{ n: number; delta: number; holds: number }> {
  const { rows } = await pool.query<{ n: number; delta: number; holds: number }>(
    `select count(*)::int as n, sum(delta)::int as delta, count(distinct hold_id)::int as holds
       from stock_movements where product_id = $1 and reason = 'hold_expired'`,
    [productId],
  );
  return rows[0]!;
}

/** A product's holds counted by status and by what ended them. */
export async function holdEndings(
  pool: pg.Pool,
  productId: number,
): Promise<{ status: string; ended_by: string | null; n: number }[]> {
  const { rows } = await pool.query<{ status: string; ended_by: string | null; n: number }>(
    `select h.status, h.ended_by, count(*)::int as n from holds h join hold_lines l on l.hold_id = h.id
      where l.product_id = $1 group by 1, 2 order by 1, 2`,
    [productId],
  );
  return rows;
}
