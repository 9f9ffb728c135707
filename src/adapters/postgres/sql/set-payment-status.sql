-- Moves an order out of `created` into a terminal payment status. Conditional on the current
-- status, so no two events can ever change the same order.
-- $1 order id, $2 'paid' | 'failed'
-- Returns the updated order, or no row when it was already terminal.
update orders
   set payment_status = $2::text, updated_at = now()
 where id = $1::bigint and payment_status = 'created'
returning id, hold_id, product_id, quantity, amount, payment_status, created_at, updated_at
