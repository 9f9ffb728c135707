-- Invariant I8: every customer whose units of a limited product pass its max_per_customer, counted
-- as place_holds counts them (active holds plus orders created or paid), for the given products
-- ($1) or all of them when $1 is null. No row when the invariant holds.
-- Run it in the repeatable-read transaction of the other invariant figures.
with units as (
  select h.customer_id, l.product_id, l.quantity
    from holds h join hold_lines l on l.hold_id = h.id
   where h.status = 'active' and h.customer_id is not null
  union all
  select o.customer_id, l.product_id, l.quantity
    from orders o join order_lines l on l.order_id = o.id
   where o.payment_status in ('created', 'paid') and o.customer_id is not null
)
select u.product_id, u.customer_id, sum(u.quantity)::int as units, p.max_per_customer
  from units u join products p on p.id = u.product_id
 where p.max_per_customer is not null and ($1::bigint[] is null or u.product_id = any($1::bigint[]))
 group by u.product_id, u.customer_id, p.max_per_customer
having sum(u.quantity) > p.max_per_customer
 order by u.product_id, u.customer_id
