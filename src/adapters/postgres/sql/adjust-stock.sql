-- Restocks (delta > 0) or writes off (delta < 0) units of a product in one conditional statement:
-- available and total_stock move together, so available + held + ordered = total_stock still
-- holds, and the update only happens while available stays >= 0 and total_stock within its limit.
-- Records the 'adjustment' movement with the operator's reason as its note.
-- $1 product id, $2 delta (non-zero), $3 reason, $4 highest total stock allowed
-- Returns the product after the change and the movement id, or no row when the product is
-- unknown or the change would break a limit (the caller reads the product to say which).
with p as (
  update products
     set available = available + $2::int, total_stock = total_stock + $2::int,
         version = version + 1, updated_at = now()
   where id = $1::bigint
     and available + $2::int >= 0
     and total_stock::bigint + $2::int <= $4::bigint
  returning id, name, price, currency, total_stock, available, version, max_per_customer, sale_starts_at, sale_ends_at,
            created_at, updated_at
), m as (
  insert into stock_movements (product_id, delta, reason, note, available_after, version)
  select p.id, $2::int, 'adjustment', $3::text, p.available, p.version from p
  returning id
)
select p.*, m.id as movement_id from p, m
