-- Creates a product with its initial stock and the matching 'initial' movement.
-- $1 name, $2 price, $3 stock, $4 ISO 4217 currency, $5 max_per_customer or null,
-- $6 sale_starts_at or null, $7 sale_ends_at or null. Returns the product.
with p as (
  insert into products (name, price, total_stock, available, currency, max_per_customer, sale_starts_at, sale_ends_at)
  values ($1::text, $2::numeric, $3::int, $3::int, $4::text, $5::int, $6::timestamptz, $7::timestamptz)
  returning id, name, price, currency, total_stock, available, version, max_per_customer, sale_starts_at, sale_ends_at,
            created_at, updated_at
), m as (
  insert into stock_movements (product_id, delta, reason, available_after, version)
  select p.id, p.available, 'initial', p.available, p.version from p
)
select * from p
