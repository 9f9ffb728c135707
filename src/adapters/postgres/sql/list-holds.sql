-- One page of holds, newest first, optionally only those with a status ($1), with a line of a
-- product ($2) and/or of a customer ($5), each with its lines (`items`, json, in request order).
-- $1 status or null, $2 product id or null, $3 limit, $4 offset, $5 customer id or null
select id, customer_id, status, expires_at, created_at, ended_at, ended_by,
       (select json_agg(json_build_object('product_id', l.product_id, 'quantity', l.quantity) order by l.line_no)
          from hold_lines l where l.hold_id = holds.id) as items
  from holds
 where ($1::text is null or status = $1::text)
   and ($2::bigint is null or exists (select 1 from hold_lines l where l.hold_id = holds.id and l.product_id = $2::bigint))
   and ($5::text is null or customer_id = $5::text)
 order by created_at desc, id
 limit $3::int offset $4::int
