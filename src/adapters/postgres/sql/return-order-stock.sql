-- Gives every line of a failed order back to its product through return_lines (migration 009:
-- products locked in id order, one 'payment_failed' movement per line).
-- $1 order id
-- Returns one row per line: the product id, its new available stock and version.
with l as (
  select array_agg(order_id) as orders, array_agg(product_id) as products, array_agg(quantity) as quantities
    from order_lines where order_id = $1::bigint
)
select r.product_id, r.available, r.version
  from l cross join return_lines('payment_failed', null, l.orders, l.products, l.quantities) r
