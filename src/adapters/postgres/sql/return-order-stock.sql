-- Gives every line of a failed order back to its product, with one stock movement per line. The
-- products are locked in id order before any of them is updated (no deadlock with carts).
-- $1 order id
-- Returns one row per line: the product id, its new available stock and version.
with l as (
  select product_id, quantity from order_lines where order_id = $1::bigint
), locked as materialized (
  select id from products where id in (select product_id from l) order by id for no key update
), p as (
  update products
     set available = available + l.quantity, version = version + 1, updated_at = now()
    from l
   where products.id = l.product_id and products.id = any ((select array_agg(id) from locked)::bigint[])
  returning products.id, products.available, products.version, l.quantity
)
insert into stock_movements (product_id, delta, reason, order_id, available_after, version)
select p.id, p.quantity, 'payment_failed', $1::bigint, p.available, p.version from p
returning product_id, available_after as available, version
