-- The sweeper: claims up to $1 overdue active holds (skipping rows another transaction holds, so
-- replicas never wait for each other), expires them and gives their stock back, one product
-- update per product.
-- $1 batch size
-- Returns one row per expired hold: hold id, product id, the product's new available stock and
-- version, expires_at and ended_at.
with due as (
  select id from holds
   where status = 'active' and expires_at <= clock_timestamp()
   order by expires_at
   limit $1::int
   for update skip locked
), h as (
  update holds
     set status = 'expired', ended_at = clock_timestamp(), ended_by = 'sweeper'
    from due
   where holds.id = due.id
  returning holds.id, holds.product_id, holds.quantity, holds.expires_at, holds.ended_at
), returned as (
  select product_id, sum(quantity)::int as quantity from h group by product_id
), p as (
  update products
     set available = available + returned.quantity, version = version + 1, updated_at = now()
    from returned
   where products.id = returned.product_id
  returning products.id, products.available, products.version
), m as (
  insert into stock_movements (product_id, delta, reason, hold_id, available_after, version)
  select h.product_id, h.quantity, 'hold_expired', h.id, p.available, p.version
    from h join p on p.id = h.product_id
)
select h.id, h.product_id, p.available, p.version, h.expires_at, h.ended_at
  from h join p on p.id = h.product_id
