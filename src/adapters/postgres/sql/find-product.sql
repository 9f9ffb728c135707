-- One product by id ($1).
select id, name, price, currency, total_stock, available, version, max_per_customer, sale_starts_at,
       sale_ends_at, created_at, updated_at
  from products
 where id = $1::bigint
