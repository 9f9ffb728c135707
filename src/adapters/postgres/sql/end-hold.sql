-- Ends an active hold by expiring or releasing it, and gives every line's quantity back to its
-- product, with one stock movement per line. Conditional on the hold still being active and on the
-- database clock, so running it twice, or concurrently with an order for the same hold, is harmless.
-- The products are locked in id order before any of them is updated (return_stock, migration 003).
-- $1 hold id, $2 new status ('expired' | 'released'), $3 ended_by ('job' | 'sweeper' | 'request' | 'client')
-- An expiry needs expires_at <= now; a release needs expires_at > now (an overdue hold expires).
-- Returns one row per line (product id, its new available stock and version, expires_at, ended_at),
-- or none when nothing changed.
with h as (
  update holds
     set status = $2::text, ended_at = clock_timestamp(), ended_by = $3::text
   where id = $1::uuid and status = 'active'
     and case when $2::text = 'expired' then expires_at <= clock_timestamp()
              else expires_at > clock_timestamp() end
  returning id, expires_at, ended_at
), l as (
  select hl.hold_id, hl.product_id, hl.quantity from hold_lines hl join h on hl.hold_id = h.id
), p as (
  select r.product_id as id, r.available, r.version
    from return_stock((select array_agg(product_id order by product_id) from l),
                      (select array_agg(quantity order by product_id) from l),
                      (select array_agg(1 order by product_id) from l)) r
), m as (
  insert into stock_movements (product_id, delta, reason, hold_id, available_after, version)
  select p.id, l.quantity, case when $2::text = 'expired' then 'hold_expired' else 'hold_released' end,
         l.hold_id, p.available, p.version
    from l join p on p.id = l.product_id
)
select p.id as product_id, p.available, p.version, h.expires_at, h.ended_at
  from h cross join p
 order by p.id
