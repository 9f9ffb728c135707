-- The currency of each given product ($1 bigint[]); unknown ids are simply absent.
-- A product's currency never changes once it exists, so the answer cannot go stale.
select id::int as id, currency
  from products
 where id = any($1::bigint[])
