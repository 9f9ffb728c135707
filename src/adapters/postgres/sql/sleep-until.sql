-- Waits in the database until its clock reaches $1 (a timestamptz), at once when it has: a caller
-- woken by its own timer a little early then starts exactly on the database's time.
-- $1 the instant, as text (microseconds kept)
select pg_sleep(greatest(0, extract(epoch from $1::timestamptz - clock_timestamp())))
