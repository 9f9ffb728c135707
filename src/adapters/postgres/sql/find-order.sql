-- One order by id ($1) or by its hold ($2); pass null for the other. The caller may append
-- `for update`.
select id, hold_id, product_id, quantity, amount, payment_status, created_at, updated_at
  from orders
 where ($1::bigint is not null and id = $1::bigint) or ($2::uuid is not null and hold_id = $2::uuid)
