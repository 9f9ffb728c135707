-- The sweeper: claims up to $1 overdue active holds (skipping rows another transaction holds, so
-- replicas never wait for each other), expires them and gives every line's stock back through
-- return_lines (migration 009: products locked in id order, one 'hold_expired' movement per line).
-- Reads only by key, whatever the planner knows of the tables: the due holds through the partial
-- index on expires_at (the clock is read once, so it can bound the index scan; compared row by row
-- it could only filter every active hold), their lines through the primary key of hold_lines.
-- The claimed rows are updated where they lie (by ctid, locked by this statement so they cannot
-- move), not looked up again through the primary key: a fifth of the statement's time for 10,000
-- (decision 27). A claimed row that a transaction committed after this statement's snapshot had
-- changed is not visible to the update and stays for the next pass; today no change leaves a hold
-- active, so the claim's recheck of status = 'active' already drops it.
-- $1 batch size
-- Returns one row per line of each expired hold: hold id, product id, the product's available
-- stock and version after the statement, expires_at and ended_at.
with due as (
  select ctid from holds
   where status = 'active' and expires_at <= (select clock_timestamp())
   order by expires_at
   limit $1::int
   for update skip locked
), h as (
  update holds
     set status = 'expired', ended_at = clock_timestamp(), ended_by = 'sweeper'
   where holds.ctid = any (array(select ctid from due)) and holds.status = 'active'
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
