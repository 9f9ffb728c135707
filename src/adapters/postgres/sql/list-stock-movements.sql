-- One page of a product's stock movements (its audit trail), newest first.
-- $1 product id, $2 limit, $3 offset
select id, product_id, delta, reason, hold_id, order_id, note, available_after, version, created_at
  from stock_movements
 where product_id = $1::bigint
 order by id desc
 limit $2::int offset $3::int
