-- Moves an order out of `created` into a terminal payment status. Conditional on the current
-- status, so no two events can ever change the same order.
-- $1 order id, $2 'paid' | 'failed'
-- Returns the updated order with its lines (`items`, json), or no row when it was already terminal.
update orders
   set payment_status = $2::text, updated_at = now()
 where id = $1::bigint and payment_status = 'created'
returning id, hold_id, amount, currency, payment_status, created_at, updated_at,
          (select json_agg(json_build_object('product_id', l.product_id, 'quantity', l.quantity,
                                             'unit_price', l.unit_price, 'amount', l.amount) order by l.line_no)
             from order_lines l where l.order_id = orders.id) as items
