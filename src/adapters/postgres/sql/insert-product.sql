-- Creates a product with its initial stock and the matching 'initial' movement.
-- $1 name, $2 price, $3 stock, $4 ISO 4217 currency. Returns the product.
with p as (
  insert into products (name, price, total_stock, available, currency)
  values ($1::text, $2::numeric, $3::int, $3::int, $4::text)
  returning id, name, price, currency, total_stock, available, version, created_at, updated_at
), m as (
  insert into stock_movements (product_id, delta, reason, available_after, version)
  select p.id, p.available, 'initial', p.available, p.version from p
)
select * from p
