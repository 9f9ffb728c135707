-- The numbers of invariant I1 for the given products ($1), or all products when $1 is null:
-- total stock, available, held by active holds, and ordered by orders not failed.
-- Run it in a repeatable-read transaction so the numbers come from one snapshot.
select p.id, p.total_stock, p.available, p.version,
       coalesce((select sum(h.quantity) from holds h
                  where h.product_id = p.id and h.status = 'active'), 0)::int as held,
       coalesce((select sum(o.quantity) from orders o
                  where o.product_id = p.id and o.payment_status in ('created', 'paid')), 0)::int as ordered
  from products p
 where $1::bigint[] is null or p.id = any($1::bigint[])
 order by p.id
