-- Places one hold in a single statement, so the product row lock is held for as short a time as
-- possible: takes the quantity from the product only if enough is available, inserts the active
-- hold and its stock movement.
-- $1 product id, $2 quantity, $3 time to live in seconds
-- Returns one row (the hold, the product's new available stock and version, the database clock),
-- or no row when the product is unknown or has too little stock.
with p as (
  update products
     set available = available - $2::int, version = version + 1, updated_at = now()
   where id = $1::bigint and available >= $2::int
  returning id, available, version
), h as (
  insert into holds (product_id, quantity, expires_at)
  select p.id, $2::int, now() + make_interval(secs => $3::double precision) from p
  returning id, product_id, quantity, status, expires_at, created_at
), m as (
  insert into stock_movements (product_id, delta, reason, hold_id, available_after, version)
  select p.id, -$2::int, 'hold', h.id, p.available, p.version from p, h
)
select h.id, h.product_id, h.quantity, h.status, h.expires_at, h.created_at,
       p.available, p.version, now() as db_now
  from h, p
