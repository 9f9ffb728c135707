-- The numbers of invariant I1 for the given products ($1), or all products when $1 is null, summed
-- over the lines of holds and orders: name, total stock, available, held by active holds, ordered by
-- orders not failed (created or paid), and of those paid.
-- Run it in a repeatable-read transaction so the numbers come from one snapshot.
with held as (
  select l.product_id, sum(l.quantity)::int as held
    from holds h join hold_lines l on l.hold_id = h.id
   where h.status = 'active' and ($1::bigint[] is null or l.product_id = any($1::bigint[]))
   group by l.product_id
), ordered as (
  select l.product_id,
         (sum(l.quantity) filter (where o.payment_status in ('created', 'paid')))::int as ordered,
         (sum(l.quantity) filter (where o.payment_status = 'paid'))::int as paid
    from orders o join order_lines l on l.order_id = o.id
   where $1::bigint[] is null or l.product_id = any($1::bigint[])
   group by l.product_id
)
select p.id, p.name, p.total_stock, p.available, p.version,
       coalesce(held.held, 0) as held, coalesce(ordered.ordered, 0) as ordered, coalesce(ordered.paid, 0) as paid
  from products p
  left join held on held.product_id = p.id
  left join ordered on ordered.product_id = p.id
 where $1::bigint[] is null or p.id = any($1::bigint[])
 order by p.id
