-- The sweeper of unpaid orders: claims up to $1 orders still `created` past their payment deadline
-- (skipping rows another transaction holds, such as a webhook deciding the same order, so replicas
-- never wait for each other), cancels them and gives every line's stock back through return_lines
-- (migration 009: products locked in id order, one 'order_cancelled' movement per line).
-- $1 batch size
-- Returns one row per line of each cancelled order: order id, product id, the product's available
-- stock and version after the statement, payment_due_at and cancelled_at.
with due as (
  select id from orders
   where payment_status = 'created' and payment_due_at <= clock_timestamp()
   order by payment_due_at
   limit $1::int
   for update skip locked
), o as (
  update orders
     set payment_status = 'cancelled', cancelled_by = 'sweeper', updated_at = clock_timestamp()
    from due
   where orders.id = due.id and orders.payment_status = 'created'
  returning orders.id, orders.payment_due_at, orders.updated_at
), l as (
  select array_agg(ol.order_id) as orders, array_agg(ol.product_id) as products, array_agg(ol.quantity) as quantities
    from order_lines ol join o on ol.order_id = o.id
), r as (
  select r.* from l cross join return_lines('order_cancelled', null, l.orders, l.products, l.quantities) r
)
select o.id, r.product_id, r.available, r.version, o.payment_due_at, o.updated_at as cancelled_at
  from o join r on r.order_id = o.id
