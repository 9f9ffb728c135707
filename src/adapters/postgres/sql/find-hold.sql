-- One hold by id ($1), whether it is still live by the database clock, and how long it has left.
-- The caller may append `for update` to lock the row.
select id, product_id, quantity, status, expires_at, created_at, ended_at,
       expires_at > clock_timestamp() as live,
       greatest(0, extract(epoch from expires_at - clock_timestamp()) * 1000)::float8 as remaining_ms
  from holds
 where id = $1::uuid
