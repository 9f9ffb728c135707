-- Turns a live active hold into an order: confirms the hold and inserts the order priced from
-- the product. Stock moves from held to ordered, so `available` does not change.
-- $1 hold id
-- Returns the new order, or no row when the hold is not active or not live any more.
with h as (
  update holds
     set status = 'confirmed', ended_at = clock_timestamp(), ended_by = 'order'
   where id = $1::uuid and status = 'active' and expires_at > clock_timestamp()
  returning id, product_id, quantity
)
insert into orders (hold_id, product_id, quantity, amount)
select h.id, h.product_id, h.quantity, p.price * h.quantity
  from h join products p on p.id = h.product_id
returning id, hold_id, product_id, quantity, amount, payment_status, created_at, updated_at
