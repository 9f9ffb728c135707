-- The available stock and its version, for the given product ids ($1), or for every product
-- when $1 is null. What the mirror must equal.
select id, available, version
  from products
 where $1::bigint[] is null or id = any($1::bigint[])
 order by id
