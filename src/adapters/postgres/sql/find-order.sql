-- One order by id ($1) or by its hold ($2); pass null for the other. With its lines (`items`, json,
-- in the hold's line order, each with unit_price and amount), and whether it is still `created` past
-- its payment deadline by the database clock (`overdue`) or how long it has left (`due_in_ms`, null
-- without a deadline). The caller may append `for update`.
select id, hold_id, customer_id, amount, currency, payment_status, payment_due_at, refund_due, created_at, updated_at,
       coalesce(payment_status = 'created' and payment_due_at <= clock_timestamp(), false) as overdue,
       greatest(0, extract(epoch from payment_due_at - clock_timestamp()) * 1000)::float8 as due_in_ms,
       (select json_agg(json_build_object('product_id', l.product_id, 'quantity', l.quantity,
                                          'unit_price', l.unit_price, 'amount', l.amount) order by l.line_no)
          from order_lines l where l.order_id = orders.id) as items
  from orders
 where ($1::bigint is not null and id = $1::bigint) or ($2::uuid is not null and hold_id = $2::uuid)
