-- When the next active hold falls due, by the database clock: the earliest expires_at still in the
-- future, exactly (as text, so that no microsecond is lost on the way), and how far off it is in
-- milliseconds. Holds already overdue are the drain's and the sweeper's, not this question's.
-- One probe of the partial index on active holds' expires_at (the clock is read once, so it bounds
-- the index scan).
-- Returns one row: at (text) and in_ms, both null when no active hold falls due in the future.
with c as (select clock_timestamp() as now_),
     n as (select min(expires_at) as at from holds where status = 'active' and expires_at > (select now_ from c))
select n.at::text as at, (extract(epoch from n.at - c.now_) * 1000)::float8 as in_ms
  from n, c
