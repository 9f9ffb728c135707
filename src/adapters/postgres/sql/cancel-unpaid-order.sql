-- Cancels one order that is still `created` past its payment deadline by the database clock, and
-- gives every line back to its product through return_lines (migration 009: products locked in id
-- order, one 'order_cancelled' movement per line). Conditional on both, so running it twice is
-- harmless, and a payment webhook that holds the order's row lock decides first: this update waits
-- for it, then re-reads the row and finds it paid, or still due.
-- $1 order id, $2 cancelled_by ('job' | 'sweeper' | 'request')
-- Returns one row per line (product id, its new available stock and version, payment_due_at and
-- cancelled_at), or none when nothing changed.
with o as (
  update orders
     set payment_status = 'cancelled', cancelled_by = $2::text, updated_at = clock_timestamp()
   where id = $1::bigint and payment_status = 'created' and payment_due_at <= clock_timestamp()
  returning id, payment_due_at, updated_at
), l as (
  select array_agg(ol.order_id) as orders, array_agg(ol.product_id) as products, array_agg(ol.quantity) as quantities
    from order_lines ol join o on ol.order_id = o.id
), r as (
  select r.* from l cross join return_lines('order_cancelled', null, l.orders, l.products, l.quantities) r
)
select r.product_id, r.available, r.version, o.payment_due_at, o.updated_at as cancelled_at
  from o join r on r.order_id = o.id
 order by r.product_id
