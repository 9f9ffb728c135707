-- The live dashboard's figures of every product, cheap enough to read every second of a sale:
-- name, total stock, available, ordered (orders created or paid), of those paid, and held. Held is
-- not summed over the active holds (stock-figures.sql does that, for `flashsale check`): it is what
-- invariant I1 leaves, total_stock - available - ordered. Every statement that moves stock keeps I1
-- in its own transaction and this is one statement, so on one snapshot the two are equal, while the
-- sum would read every active hold of the sale once a second. Cost: the products and the orders,
-- never the holds.
with ordered as (
  select l.product_id,
         (sum(l.quantity) filter (where o.payment_status in ('created', 'paid')))::int as ordered,
         (sum(l.quantity) filter (where o.payment_status = 'paid'))::int as paid
    from orders o join order_lines l on l.order_id = o.id
   group by l.product_id
)
select p.id, p.name, p.total_stock, p.available, p.version,
       p.total_stock - p.available - coalesce(ordered.ordered, 0) as held,
       coalesce(ordered.ordered, 0) as ordered, coalesce(ordered.paid, 0) as paid
  from products p
  left join ordered on ordered.product_id = p.id
 order by p.id
