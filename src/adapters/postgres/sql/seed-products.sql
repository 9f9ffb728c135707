-- Creates the demo products with fixed ids if they do not exist yet, so running it twice changes
-- nothing, then moves the id sequence past them.
-- $1 the ISO 4217 currency of the products. Returns the products it created.
with wanted (id, name, price, stock) as (
  values (1::bigint, 'Flash Sale Item', 49.99::numeric, 100),
         (2, 'Limited Sneakers', 129.00, 50),
         (3, 'Concert Ticket', 75.50, 500),
         (4, 'Collector''s Vinyl', 34.90, 20)
), p as (
  insert into products (id, name, price, total_stock, available, currency)
  select id, name, price, stock, stock, $1::text from wanted
  on conflict (id) do nothing
  returning id, name, total_stock, available, version
), m as (
  insert into stock_movements (product_id, delta, reason, available_after, version, note)
  select id, available, 'initial', available, version, 'seed' from p
), s as (
  select setval(pg_get_serial_sequence('products', 'id'),
                greatest((select max(id) from products), (select max(id) from wanted)))
)
select p.id, p.name, p.total_stock from p, s
