-- Turns a live active hold into an order: confirms the hold, inserts the order and one order line
-- per hold line, each priced from its product now (unit_price, amount = unit_price * quantity); the
-- order's amount is the sum of its lines, in its products' one currency. Stock moves from held
-- to ordered, so `available` does
-- not change and no product row is locked.
-- The order carries the hold's customer (or none) and is due to be paid $2 seconds after its
-- creation (payment_due_at, by the database clock; null when $2 is 0: no deadline).
-- $1 hold id, $2 payment time to live in seconds (0 = none)
-- Returns the new order with its lines (`items`, json, in the hold's line order), or no row when
-- the hold is not active or not live any more.
with h as (
  update holds
     set status = 'confirmed', ended_at = clock_timestamp(), ended_by = 'order'
   where id = $1::uuid and status = 'active' and expires_at > clock_timestamp()
  returning id, customer_id
), l as (
  select hl.product_id, hl.line_no, hl.quantity, p.price as unit_price, p.price * hl.quantity as amount, p.currency
    from h join hold_lines hl on hl.hold_id = h.id join products p on p.id = hl.product_id
), o as (
  insert into orders (hold_id, customer_id, amount, currency, payment_due_at)
  select h.id, h.customer_id, (select sum(amount) from l), (select min(currency) from l),
         case when $2::int > 0 then now() + make_interval(secs => $2::int) end
    from h
  returning id, hold_id, customer_id, amount, currency, payment_status, payment_due_at, refund_due, created_at, updated_at
), ol as (
  insert into order_lines (order_id, product_id, line_no, quantity, unit_price, amount)
  select o.id, l.product_id, l.line_no, l.quantity, l.unit_price, l.amount from o, l
)
select o.id, o.hold_id, o.customer_id, o.amount, o.currency, o.payment_status, o.payment_due_at, o.refund_due, o.created_at, o.updated_at,
       (select json_agg(json_build_object('product_id', l.product_id, 'quantity', l.quantity,
                                          'unit_price', l.unit_price, 'amount', l.amount) order by l.line_no)
          from l) as items
  from o
