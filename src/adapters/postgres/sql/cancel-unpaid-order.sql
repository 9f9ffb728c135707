-- Cancels one order that is still `created` past its payment deadline by the database clock, and
-- gives every line back to its product with one 'order_cancelled' movement per line. Conditional on
-- both, so running it twice is harmless, and a payment webhook that holds the order's row lock
-- decides first: this update waits for it, then re-reads the row and finds it paid, or still due.
-- The products are locked in id order before any of them is updated (return_stock, migration 003).
-- $1 order id, $2 cancelled_by ('job' | 'sweeper' | 'request')
-- Returns one row per line (product id, its new available stock and version, payment_due_at and
-- cancelled_at), or none when nothing changed.
with o as (
  update orders
     set payment_status = 'cancelled', cancelled_by = $2::text, updated_at = clock_timestamp()
   where id = $1::bigint and payment_status = 'created' and payment_due_at <= clock_timestamp()
  returning id, payment_due_at, updated_at
), l as (
  select ol.order_id, ol.product_id, ol.quantity from order_lines ol join o on ol.order_id = o.id
), p as (
  select r.product_id as id, r.available, r.version
    from return_stock((select array_agg(product_id order by product_id) from l),
                      (select array_agg(quantity order by product_id) from l),
                      (select array_agg(1 order by product_id) from l)) r
), m as (
  insert into stock_movements (product_id, delta, reason, order_id, available_after, version)
  select p.id, l.quantity, 'order_cancelled', l.order_id, p.available, p.version
    from l join p on p.id = l.product_id
)
select p.id as product_id, p.available, p.version, o.payment_due_at, o.updated_at as cancelled_at
  from o cross join p
 order by p.id
