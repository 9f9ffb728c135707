-- Gives every line of a failed order back to its product, with one stock movement per line. The
-- products are locked in id order before any of them is updated (return_stock, migration 003).
-- $1 order id
-- Returns one row per line: the product id, its new available stock and version.
with l as (
  select product_id, quantity from order_lines where order_id = $1::bigint
), p as (
  select r.product_id as id, r.available, r.version, r.quantity
    from return_stock((select array_agg(product_id order by product_id) from l),
                      (select array_agg(quantity order by product_id) from l),
                      (select array_agg(1 order by product_id) from l)) r
)
insert into stock_movements (product_id, delta, reason, order_id, available_after, version)
select p.id, p.quantity, 'payment_failed', $1::bigint, p.available, p.version from p
returning product_id, available_after as available, version
