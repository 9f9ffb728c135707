-- A payment arrived for an order that was already cancelled: the order stays cancelled (its stock
-- went back) and now owes the buyer a refund. Conditional, so only the first such payment marks it.
-- $1 order id
-- Returns the updated order with its lines (`items`, json), or no row when it is not cancelled or
-- owes a refund already.
update orders
   set refund_due = true, updated_at = now()
 where id = $1::bigint and payment_status = 'cancelled' and not refund_due
returning id, hold_id, customer_id, amount, currency, payment_status, payment_due_at, refund_due, created_at, updated_at,
          (select json_agg(json_build_object('product_id', l.product_id, 'quantity', l.quantity,
                                             'unit_price', l.unit_price, 'amount', l.amount) order by l.line_no)
             from order_lines l where l.order_id = orders.id) as items
