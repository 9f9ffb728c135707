-- Ends an active hold by expiring or releasing it, and gives its quantity back to the product.
-- Conditional on the hold still being active and on the database clock, so running it twice, or
-- concurrently with an order for the same hold, is harmless.
-- $1 hold id, $2 new status ('expired' | 'released'), $3 ended_by ('job' | 'sweeper' | 'request' | 'client')
-- An expiry needs expires_at <= now; a release needs expires_at > now (an overdue hold expires).
-- Returns one row (product id, new available stock and version, expires_at, ended_at) or none.
with h as (
  update holds
     set status = $2::text, ended_at = clock_timestamp(), ended_by = $3::text
   where id = $1::uuid and status = 'active'
     and case when $2::text = 'expired' then expires_at <= clock_timestamp()
              else expires_at > clock_timestamp() end
  returning id, product_id, quantity, expires_at, ended_at
), p as (
  update products
     set available = available + h.quantity, version = version + 1, updated_at = now()
    from h
   where products.id = h.product_id
  returning products.id, products.available, products.version
), m as (
  insert into stock_movements (product_id, delta, reason, hold_id, available_after, version)
  select p.id, h.quantity, case when $2::text = 'expired' then 'hold_expired' else 'hold_released' end,
         h.id, p.available, p.version
    from h join p on p.id = h.product_id
)
select p.id as product_id, p.available, p.version, h.expires_at, h.ended_at
  from h join p on p.id = h.product_id
