-- The sweeper of unpaid orders: claims up to $1 orders still `created` past their payment deadline
-- (skipping rows another transaction holds, such as a webhook deciding the same order, so replicas
-- never wait for each other), cancels them and gives every line's stock back: one update per
-- product, the products locked in id order first (return_stock, migration 003), one
-- 'order_cancelled' movement per line, each with the available stock and version its own step
-- would have had.
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
  select ol.order_id, ol.product_id, ol.quantity,
         row_number() over w as step,
         sum(ol.quantity) over w as returned_so_far
    from order_lines ol join o on ol.order_id = o.id
  window w as (partition by ol.product_id order by ol.order_id rows unbounded preceding)
), returned as (
  select product_id, sum(quantity)::int as quantity, count(*)::int as n from l group by product_id
), p as (
  select r.product_id as id, r.available, r.version, r.quantity, r.n
    from return_stock((select array_agg(product_id order by product_id) from returned),
                      (select array_agg(quantity order by product_id) from returned),
                      (select array_agg(n order by product_id) from returned)) r
), m as (
  insert into stock_movements (product_id, delta, reason, order_id, available_after, version)
  select l.product_id, l.quantity, 'order_cancelled', l.order_id,
         p.available - p.quantity + l.returned_so_far, p.version - p.n + l.step
    from l join p on p.id = l.product_id
)
select o.id, l.product_id, p.available, p.version, o.payment_due_at, o.updated_at as cancelled_at
  from o join l on l.order_id = o.id join p on p.id = l.product_id
