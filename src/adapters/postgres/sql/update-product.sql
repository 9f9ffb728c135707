-- Changes a product's name, price, limit per customer and/or sale window. Stock is not touched
-- here: it changes only through stock adjustments, which keep the audit trail.
-- $1 product id, $2 name or null (keep), $3 price or null (keep), $4 whether to set
-- max_per_customer, $5 its new value (null clears it), $6 whether to set sale_starts_at, $7 its new
-- value, $8 whether to set sale_ends_at, $9 its new value.
-- Returns the product, or no row when it does not exist. A window whose end would not be after its
-- start fails the products_sale_window check (23514).
update products
   set name = coalesce($2::text, name), price = coalesce($3::numeric, price),
       max_per_customer = case when $4::boolean then $5::int else max_per_customer end,
       sale_starts_at = case when $6::boolean then $7::timestamptz else sale_starts_at end,
       sale_ends_at = case when $8::boolean then $9::timestamptz else sale_ends_at end,
       updated_at = now()
 where id = $1::bigint
returning id, name, price, currency, total_stock, available, version, max_per_customer, sale_starts_at, sale_ends_at,
          created_at, updated_at
