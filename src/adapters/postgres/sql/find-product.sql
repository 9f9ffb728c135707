-- One product by id ($1).
select id, name, price, currency, total_stock, available, version, created_at, updated_at
  from products
 where id = $1::bigint
