-- Invariants I3 and I9 as `flashsale check` sees them: per product ($1, or all when $1 is null),
-- the active holds whose expires_at, and the orders still created whose payment_due_at, passed
-- more than $2 seconds ago, with how long ago the oldest did. Within the grace the expiry jobs
-- and the sweeper are still at work; past it, nothing is ending them. No row when both hold.
-- Run it in the repeatable-read transaction of the other invariant figures.
with late_holds as (
  select l.product_id, count(*)::int as late, extract(epoch from now() - min(h.expires_at))::int as oldest_seconds
    from holds h join hold_lines l on l.hold_id = h.id
   where h.status = 'active' and h.expires_at < now() - make_interval(secs => $2)
     and ($1::bigint[] is null or l.product_id = any($1::bigint[]))
   group by l.product_id
), late_orders as (
  select l.product_id, count(*)::int as late, extract(epoch from now() - min(o.payment_due_at))::int as oldest_seconds
    from orders o join order_lines l on l.order_id = o.id
   where o.payment_status = 'created' and o.payment_due_at < now() - make_interval(secs => $2)
     and ($1::bigint[] is null or l.product_id = any($1::bigint[]))
   group by l.product_id
)
select 'I3' as invariant, product_id, late, oldest_seconds from late_holds
union all
select 'I9' as invariant, product_id, late, oldest_seconds from late_orders
 order by product_id, invariant
