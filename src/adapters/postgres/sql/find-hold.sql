-- One hold by id ($1) with its lines (`items`, json, in request order), whether it is still live by
-- the database clock, and how long it has left. The caller may append `for update` to lock the
-- hold's row.
select id, customer_id, status, expires_at, created_at, ended_at,
       (select json_agg(json_build_object('product_id', l.product_id, 'quantity', l.quantity) order by l.line_no)
          from hold_lines l where l.hold_id = holds.id) as items,
       expires_at > clock_timestamp() as live,
       greatest(0, extract(epoch from expires_at - clock_timestamp()) * 1000)::float8 as remaining_ms
  from holds
 where id = $1::uuid
