-- Serializes, until the end of the transaction, everything about one order id ($1) that must not
-- interleave: an event finding no order (it will wait as 'pending') and the creation of that
-- order (which looks for waiting events). Works even before the order row exists.
-- Namespace 7301 keeps these locks apart from any other advisory lock; ids past 2^31 wrap, which
-- only makes two unrelated orders wait for each other.
select pg_advisory_xact_lock(7301, ($1::bigint % 2147483647)::int)
