-- Changes a product's name and/or price; a null parameter keeps the current value. Stock is not
-- touched here: it changes only through stock adjustments, which keep the audit trail.
-- $1 product id, $2 name or null, $3 price or null
-- Returns the product, or no row when it does not exist.
update products
   set name = coalesce($2::text, name), price = coalesce($3::numeric, price), updated_at = now()
 where id = $1::bigint
returning id, name, price, currency, total_stock, available, version, created_at, updated_at
