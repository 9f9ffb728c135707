-- Moves an order out of `created` into a terminal payment status. Conditional on the current
-- status, so no two events can ever change the same order, and on its payment deadline not having
-- passed by the database clock: an order past it can only be cancelled (cancel-unpaid-order.sql).
-- $1 order id, $2 'paid' | 'failed'
-- Returns the updated order with its lines (`items`, json), or no row when it was already terminal
-- or is past its deadline.
update orders
   set payment_status = $2::text, updated_at = now()
 where id = $1::bigint and payment_status = 'created'
   and (payment_due_at is null or payment_due_at > clock_timestamp())
returning id, hold_id, customer_id, amount, currency, payment_status, payment_due_at, refund_due, created_at, updated_at,
          (select json_agg(json_build_object('product_id', l.product_id, 'quantity', l.quantity,
                                             'unit_price', l.unit_price, 'amount', l.amount) order by l.line_no)
             from order_lines l where l.order_id = orders.id) as items
