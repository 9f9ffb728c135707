-- One page of orders, newest first, optionally only those with a payment status ($1), with a line
-- of a product ($2) and/or of a customer ($5), each with its lines (`items`, json, with unit_price
-- and amount).
-- $1 payment status or null, $2 product id or null, $3 limit, $4 offset, $5 customer id or null
select id, hold_id, customer_id, amount, currency, payment_status, payment_due_at, refund_due, created_at, updated_at,
       (select json_agg(json_build_object('product_id', l.product_id, 'quantity', l.quantity,
                                          'unit_price', l.unit_price, 'amount', l.amount) order by l.line_no)
          from order_lines l where l.order_id = orders.id) as items
  from orders
 where ($1::text is null or payment_status = $1::text)
   and ($2::bigint is null or exists (select 1 from order_lines l where l.order_id = orders.id and l.product_id = $2::bigint))
   and ($5::text is null or customer_id = $5::text)
 order by id desc
 limit $3::int offset $4::int
