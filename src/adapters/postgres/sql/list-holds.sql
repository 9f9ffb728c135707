-- One page of holds, newest first, optionally only those with a status ($1) and/or of a product ($2).
-- $1 status or null, $2 product id or null, $3 limit, $4 offset
select id, product_id, quantity, status, expires_at, created_at, ended_at, ended_by
  from holds
 where ($1::text is null or status = $1::text)
   and ($2::bigint is null or product_id = $2::bigint)
 order by created_at desc, id
 limit $3::int offset $4::int
