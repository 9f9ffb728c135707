-- One page of products by id, with their available stock in the database.
-- $1 limit, $2 offset
select id, name, price, currency, total_stock, available, version, max_per_customer, sale_starts_at,
       sale_ends_at, created_at, updated_at
  from products
 order by id
 limit $1::int offset $2::int
