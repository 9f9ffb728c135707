-- One statement gives lines of holds or orders back to their products: every stock return (a hold
-- released or expired, the expiry sweeper, an order cancelled past its deadline or by the sweeper,
-- a failed payment) calls it, so the return and its audit trail are written once. Before, each of
-- those statements repeated the same window over the lines, the call of return_stock and the
-- movements' arithmetic, and differed only in the owner column and the movement's reason.
--
-- return_lines(movement_reason, line_hold_ids, line_order_ids, line_products, line_quantities)
--   movement_reason  the stock movement's reason for every line ('hold_expired', 'order_cancelled', ...)
--   line_hold_ids    per line: the hold it belonged to, or null (the whole array may be null)
--   line_order_ids   per line: the order it belonged to, or null (the whole array may be null)
--   line_products, line_quantities   per line, parallel to the owners; one line per product per owner
-- Locks the products in id order and adds each product's total back in one update (return_stock,
-- migration 003), then writes one stock movement per line. Several lines of one product are steps
-- in owner order (hold id, then order id), each movement with the available stock and version its
-- own step would have had, so a product's movements still chain one into the next.
-- Returns one row per line: its owner, its product and the product's available stock and version
-- after the whole return.
create function return_lines(
  movement_reason text,
  line_hold_ids uuid[],
  line_order_ids bigint[],
  line_products bigint[],
  line_quantities int[]
)
returns table (hold_id uuid, order_id bigint, product_id bigint, available int, version bigint)
language plpgsql as $$
#variable_conflict use_column
begin
  return query
  with l as (
    select x.hold_id, x.order_id, x.product_id, x.quantity,
           row_number() over w as step,
           sum(x.quantity) over w as returned_so_far
      from unnest(line_hold_ids, line_order_ids, line_products, line_quantities)
           as x(hold_id, order_id, product_id, quantity)
    window w as (partition by x.product_id order by x.hold_id, x.order_id rows unbounded preceding)
  ), returned as (
    select l.product_id, sum(l.quantity)::int as quantity, count(*)::int as n from l group by l.product_id
  ), p as (
    select r.product_id as id, r.available, r.version, r.quantity, r.n
      from return_stock((select array_agg(t.product_id order by t.product_id) from returned t),
                        (select array_agg(t.quantity order by t.product_id) from returned t),
                        (select array_agg(t.n order by t.product_id) from returned t)) r
  ), m as (
    insert into stock_movements (product_id, delta, reason, hold_id, order_id, available_after, version)
    select l.product_id, l.quantity, movement_reason, l.hold_id, l.order_id,
           p.available - p.quantity + l.returned_so_far, p.version - p.n + l.step
      from l join p on p.id = l.product_id
     order by l.product_id, l.step
  )
  select l.hold_id, l.order_id, l.product_id, p.available, p.version
    from l join p on p.id = l.product_id
   order by l.product_id, l.step;
end;
$$;
