-- Gives a failed order's quantity back to its product and records the movement.
-- $1 order id, $2 product id, $3 quantity
-- Returns the product's new available stock and version.
with p as (
  update products
     set available = available + $3::int, version = version + 1, updated_at = now()
   where id = $2::bigint
  returning id, available, version
)
insert into stock_movements (product_id, delta, reason, order_id, available_after, version)
select p.id, $3::int, 'payment_failed', $1::bigint, p.available, p.version from p
returning product_id, available_after as available, version
