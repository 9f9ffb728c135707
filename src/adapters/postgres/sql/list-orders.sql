-- One page of orders, newest first, optionally only those with a payment status ($1) and/or of a
-- product ($2).
-- $1 payment status or null, $2 product id or null, $3 limit, $4 offset
select id, hold_id, product_id, quantity, amount, payment_status, created_at, updated_at
  from orders
 where ($1::text is null or payment_status = $1::text)
   and ($2::bigint is null or product_id = $2::bigint)
 order by id desc
 limit $3::int offset $4::int
