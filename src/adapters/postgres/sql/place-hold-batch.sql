-- Group commit for one hot product: places a batch of holds under a single row lock and a single
-- commit. Requests are granted greedily in arrival order (a request that does not fit is refused,
-- a later smaller one may still fit). The conditional update stays the arbiter: if the product
-- changed in a way the walk did not see, nothing is written and every request reads as refused.
-- $1 product id, $2 quantities (int[], arrival order), $3 hold ids (uuid[], parallel to $2),
-- $4 time to live in seconds
-- Returns one row per request (in arrival order) with `granted`, the hold's columns when granted,
-- and the product's available stock and version after the batch, plus the database clock.
-- No rows at all when the product does not exist.
with recursive req as (
  select r.ord, r.q, r.id
    from unnest($2::int[], $3::uuid[]) with ordinality as r(q, id, ord)
), locked as (
  select id, available, version from products where id = $1::bigint for update
), walk (ord, q, id, granted, remaining) as (
  select req.ord, req.q, req.id, req.q <= l.available,
         l.available - case when req.q <= l.available then req.q else 0 end
    from req, locked l
   where req.ord = 1
  union all
  select req.ord, req.q, req.id, req.q <= w.remaining,
         w.remaining - case when req.q <= w.remaining then req.q else 0 end
    from walk w join req on req.ord = w.ord + 1
), granted as (
  select ord, q, id, remaining, row_number() over (order by ord) as k from walk where granted
), total as (
  select coalesce(sum(q), 0)::int as q, count(*)::int as n from granted
), p as (
  update products
     set available = available - total.q, version = version + total.n, updated_at = now()
    from total
   where products.id = $1::bigint and total.n > 0 and products.available >= total.q
  returning products.id, products.available, products.version, products.version - total.n as base_version
), h as (
  insert into holds (id, product_id, quantity, expires_at)
  select g.id, p.id, g.q, now() + make_interval(secs => $4::double precision)
    from granted g, p
  returning id, product_id, quantity, status, expires_at, created_at
), m as (
  -- One audit row per hold, each with the version its own step would have had.
  insert into stock_movements (product_id, delta, reason, hold_id, available_after, version)
  select p.id, -g.q, 'hold', g.id, g.remaining, p.base_version + g.k from granted g, p
)
select w.ord::int, h.id is not null as granted, h.id, l.id as product_id, w.q as quantity, h.status,
       h.expires_at, h.created_at,
       coalesce((select available from p), l.available) as available,
       coalesce((select version from p), l.version) as version,
       now() as db_now
  from walk w cross join locked l left join h on h.id = w.id
 order by w.ord
