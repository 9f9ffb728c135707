-- The sweeper: claims up to $1 overdue active holds (skipping rows another transaction holds, so
-- replicas never wait for each other), expires them and gives every line's stock back: one update
-- per product, the products locked in id order first (return_stock, migration 003), one stock movement
-- per line, each with the available stock and version its own step would have had.
-- Reads only by key, whatever the planner knows of the tables: the due holds through the partial
-- index on expires_at (the clock is read once, so it can bound the index scan; compared row by row
-- it could only filter every active hold), their lines through the primary key of hold_lines.
-- $1 batch size
-- Returns one row per line of each expired hold: hold id, product id, the product's available
-- stock and version after the statement, expires_at and ended_at.
with due as (
  select id from holds
   where status = 'active' and expires_at <= (select clock_timestamp())
   order by expires_at
   limit $1::int
   for update skip locked
), h as (
  update holds
     set status = 'expired', ended_at = clock_timestamp(), ended_by = 'sweeper'
    from due
   where holds.id = due.id
  returning holds.id, holds.expires_at, holds.ended_at
), l as (
  select hl.hold_id, hl.product_id, hl.quantity,
         row_number() over w as step,
         sum(hl.quantity) over w as returned_so_far
    from hold_lines hl
   where hl.hold_id = any (array(select id from h))
  window w as (partition by hl.product_id order by hl.hold_id rows unbounded preceding)
), returned as (
  select product_id, sum(quantity)::int as quantity, count(*)::int as n from l group by product_id
), p as (
  select r.product_id as id, r.available, r.version, r.quantity, r.n
    from return_stock((select array_agg(product_id order by product_id) from returned),
                      (select array_agg(quantity order by product_id) from returned),
                      (select array_agg(n order by product_id) from returned)) r
), m as (
  insert into stock_movements (product_id, delta, reason, hold_id, available_after, version)
  select l.product_id, l.quantity, 'hold_expired', l.hold_id,
         p.available - p.quantity + l.returned_so_far, p.version - p.n + l.step
    from l join p on p.id = l.product_id
)
select h.id, l.product_id, p.available, p.version, h.expires_at, h.ended_at
  from h join l on l.hold_id = h.id join p on p.id = l.product_id
