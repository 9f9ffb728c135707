-- The baseline hold, without group commit: one cart (one or more lines) placed by one plain
-- statement, the way a careful implementation without batching would do it. Locks the cart's
-- products in id order, each only if its line fits (re-checked after waiting for the lock), takes
-- every line only if all of them fit, and writes the hold, its lines and one movement per line.
-- $1 product ids (bigint[]), $2 quantities (int[], parallel), $3 time to live in seconds
-- Returns the hold id, or no row when some line did not fit.
with want as (
  select w.product_id, w.quantity, w.line_no
    from unnest($1::bigint[], $2::int[]) with ordinality as w(product_id, quantity, line_no)
), locked as materialized (
  select p.id from products p join want w on w.product_id = p.id
   where p.available >= w.quantity
   order by p.id
     for no key update of p
), fits as (
  select (select count(*) from locked) = cardinality($1::bigint[]) as ok
), p as (
  update products
     set available = available - w.quantity, version = version + 1, updated_at = now()
    from want w, fits
   where fits.ok and products.id = w.product_id and products.id = any ((select array_agg(id) from locked)::bigint[])
  returning products.id, products.available, products.version, w.quantity
), h as (
  insert into holds (expires_at)
  select now() + make_interval(secs => $3::double precision) from fits where fits.ok
  returning id
), l as (
  insert into hold_lines (hold_id, product_id, line_no, quantity)
  select h.id, w.product_id, w.line_no, w.quantity from h, want w
), m as (
  insert into stock_movements (product_id, delta, reason, hold_id, available_after, version)
  select p.id, -p.quantity, 'hold', h.id, p.available, p.version from h, p
)
select h.id from h
