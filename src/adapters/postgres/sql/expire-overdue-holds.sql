-- The sweeper: claims up to $1 overdue active holds (skipping rows another transaction holds, so
-- replicas never wait for each other), expires them and gives every line's stock back through
-- return_lines (migration 009: products locked in id order, one 'hold_expired' movement per line).
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
  select array_agg(hl.hold_id) as holds, array_agg(hl.product_id) as products, array_agg(hl.quantity) as quantities
    from hold_lines hl
   where hl.hold_id = any (array(select id from h))
), r as (
  select r.* from l cross join return_lines('hold_expired', l.holds, null, l.products, l.quantities) r
)
select h.id, r.product_id, r.available, r.version, h.expires_at, h.ended_at
  from h join r on r.hold_id = h.id
