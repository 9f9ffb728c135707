-- Ends an active hold by expiring or releasing it, and gives every line's quantity back to its
-- product through return_lines (migration 009: products locked in id order, one 'hold_expired' or
-- 'hold_released' movement per line). Conditional on the hold still being active and on the
-- database clock, so running it twice, or concurrently with an order for the same hold, is harmless.
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
  select array_agg(hl.hold_id) as holds, array_agg(hl.product_id) as products, array_agg(hl.quantity) as quantities
    from hold_lines hl join h on hl.hold_id = h.id
), r as (
  select r.*
    from l cross join return_lines(case when $2::text = 'expired' then 'hold_expired' else 'hold_released' end,
                                   l.holds, null, l.products, l.quantities) r
)
select r.product_id, r.available, r.version, h.expires_at, h.ended_at
  from h join r on r.hold_id = h.id
 order by r.product_id
