-- The count of a limited product's customers runs once per (customer, product) pair of a batch, as
-- migration 008 meant it to. In 008's place_holds the pairs' sums were a CTE referenced once, which
-- PostgreSQL inlines into the join with the batch's lines, so the two sums (active holds, orders
-- created or paid) were computed for every line: a customer asking twice in one batch was counted
-- twice, two index probes of holds and two of orders each time. The CTE is now materialized: its
-- sums are computed once per pair. Everything else is migration 008's body, unchanged (decision 23).
create or replace function place_holds(
  hold_ids uuid[],
  hold_customers text[],
  ttl_seconds double precision,
  line_request int[],
  line_product bigint[],
  line_quantity int[]
) returns table (
  request          int,
  product_id       bigint,
  quantity         int,
  granted          boolean,
  refusal          text,
  fits             boolean,
  available        int,
  version          bigint,
  max_per_customer int,
  sale_starts_at   timestamptz,
  sale_ends_at     timestamptz,
  customer_units   int,
  hold_id          uuid,
  expires_at       timestamptz,
  created_at       timestamptz,
  db_now           timestamptz
) language plpgsql as $$
#variable_conflict use_column
declare
  n_lines    int := coalesce(array_length(line_request, 1), 0);
  n_holds    int := coalesce(array_length(hold_ids, 1), 0);
  expiry     timestamptz := now() + make_interval(secs => ttl_seconds);
  prod_ids   bigint[];       -- distinct products of the batch that exist, ascending
  versions   bigint[];       -- per product position: version when locked
  remaining  int[];          -- per product position: available stock as the walk goes
  taken      int[];          -- per product position: lines granted so far (for each movement's version)
  units      int[];          -- per product position: units granted so far
  limits     int[];          -- per product position: max_per_customer
  starts     timestamptz[];  -- per product position: sale_starts_at
  ends       timestamptz[];  -- per product position: sale_ends_at
  has_limit  boolean;
  has_window boolean;
  line_pos   int[];          -- per line: its product's position in prod_ids, 0 when unknown
  line_pair  int[];          -- per line of a limited product with a customer: its (customer, product) pair
  pair_units int[] := '{}';  -- per pair: the customer's units of the product as the walk goes
  line_units int[];          -- per line: the customer's units when the line met the limit rule
  line_refusal text[];
  line_fits  boolean[];
  line_after int[];          -- per line: the product's available stock right after the line was taken
  line_step  int[];          -- per line: how many lines of its product were granted up to it
  req_ok     boolean[];
  first_line int := 1;
  last_line  int;
  ok         boolean;
  p          int;
  k          int;
  expected   int;
  updated    int;
  pair       record;
begin
  if n_lines = 0 then
    return;
  end if;
  -- The row locks, in id order: whatever else locks several products does it in the same order.
  select coalesce(array_agg(l.id order by l.id), '{}'), coalesce(array_agg(l.available order by l.id), '{}'),
         coalesce(array_agg(l.version order by l.id), '{}'),
         coalesce(array_agg(l.max_per_customer order by l.id), '{}'),
         coalesce(array_agg(l.sale_starts_at order by l.id), '{}'),
         coalesce(array_agg(l.sale_ends_at order by l.id), '{}'),
         coalesce(bool_or(l.max_per_customer is not null), false),
         coalesce(bool_or(l.sale_starts_at is not null or l.sale_ends_at is not null), false)
    into prod_ids, remaining, versions, limits, starts, ends, has_limit, has_window
    from (select pr.id, pr.available, pr.version, pr.max_per_customer, pr.sale_starts_at, pr.sale_ends_at
            from products pr
           where pr.id = any(line_product) order by pr.id for no key update) l;
  taken := array_fill(0, array[greatest(array_length(prod_ids, 1), 1)]);
  units := taken;
  line_pos := array_fill(0, array[n_lines]);
  for j in 1 .. n_lines loop
    line_pos[j] := coalesce(array_position(prod_ids, line_product[j]), 0);
  end loop;
  line_refusal := array_fill(null::text, array[n_lines]);
  line_fits := array_fill(null::boolean, array[n_lines]);
  line_after := array_fill(null::int, array[n_lines]);
  line_step := array_fill(null::int, array[n_lines]);
  line_units := array_fill(null::int, array[n_lines]);
  line_pair := array_fill(0, array[n_lines]);
  req_ok := array_fill(false, array[n_holds]);

  -- Each customer's units of each limited product the batch asks for, once per pair, by key:
  -- their active holds (holds_active_customer, then the hold_lines key) and their orders
  -- (orders_customer, then the order_lines key). `u` is materialized: inlined into the join with
  -- the lines, its sums would be computed once per line instead of once per pair.
  if has_limit then
    for pair in
      with l as (
        select j, hold_customers[line_request[j]] as customer, line_product[j] as pid
          from generate_subscripts(line_request, 1) j
         where line_pos[j] > 0 and limits[line_pos[j]] is not null and hold_customers[line_request[j]] is not null
      ), r as (
        select j, customer, pid, dense_rank() over (order by customer, pid)::int as pair_no from l
      ), d as (
        select distinct pair_no, customer, pid from r
      ), u as materialized (
        select d.pair_no,
               coalesce((select sum(hl.quantity)
                           from holds h join hold_lines hl on hl.hold_id = h.id and hl.product_id = d.pid
                          where h.customer_id = d.customer and h.status = 'active'), 0)
             + coalesce((select sum(ol.quantity)
                           from orders o join order_lines ol on ol.order_id = o.id and ol.product_id = d.pid
                          where o.customer_id = d.customer and o.payment_status in ('created', 'paid')), 0) as units
          from d
      )
      select r.j, r.pair_no, u.units::int as units from r join u on u.pair_no = r.pair_no
    loop
      line_pair[pair.j] := pair.pair_no;
      pair_units[pair.pair_no] := pair.units;
    end loop;
  end if;

  -- The walk: each request in arrival order, all of its lines or none.
  while first_line <= n_lines loop
    last_line := first_line;
    while last_line < n_lines and line_request[last_line + 1] = line_request[first_line] loop
      last_line := last_line + 1;
    end loop;
    ok := true;
    for j in first_line .. last_line loop
      p := line_pos[j];
      if p = 0 then
        line_refusal[j] := 'product-not-found';
      elsif has_window and starts[p] is not null and now() < starts[p] then
        line_refusal[j] := 'sale-not-started';
      elsif has_window and ends[p] is not null and now() >= ends[p] then
        line_refusal[j] := 'sale-ended';
      elsif limits[p] is not null and hold_customers[line_request[j]] is null then
        line_refusal[j] := 'customer-required';
      else
        line_fits[j] := line_quantity[j] <= remaining[p];
        if not line_fits[j] then
          line_refusal[j] := 'insufficient-stock';
        elsif limits[p] is not null then
          line_units[j] := pair_units[line_pair[j]];
          if line_units[j] + line_quantity[j] > limits[p] then
            line_refusal[j] := 'purchase-limit-exceeded';
          end if;
        end if;
      end if;
      ok := ok and line_refusal[j] is null;
    end loop;
    if ok then
      req_ok[line_request[first_line]] := true;
      for j in first_line .. last_line loop
        p := line_pos[j];
        remaining[p] := remaining[p] - line_quantity[j];
        units[p] := units[p] + line_quantity[j];
        taken[p] := taken[p] + 1;
        line_after[j] := remaining[p];
        line_step[j] := taken[p];
        k := line_pair[j];
        if k > 0 then
          pair_units[k] := pair_units[k] + line_quantity[j];
        end if;
      end loop;
    end if;
    first_line := last_line + 1;
  end loop;

  -- The arbiter, as for a single hold: each product's total only if it is still there. Under the
  -- locks above it always is; if not, nothing of the batch may be written.
  select count(*) into expected from unnest(taken) t where t > 0;
  if expected > 0 then
    update products pr
       set available = pr.available - t.q, version = pr.version + t.n, updated_at = now()
      from unnest(prod_ids, units, taken) t(id, q, n)
     where pr.id = any(prod_ids) and pr.id = t.id and t.n > 0 and pr.available >= t.q;
    get diagnostics updated = row_count;
    if updated <> expected then
      raise exception 'place_holds: stock changed under the row locks (% of % products updated)', updated, expected;
    end if;
  end if;

  insert into holds (id, customer_id, expires_at)
  select hold_ids[i], hold_customers[i], expiry
    from generate_subscripts(hold_ids, 1) i
   where req_ok[i];
  insert into hold_lines (hold_id, product_id, line_no, quantity)
  select hold_ids[line_request[j]], line_product[j], (j - min(j) over (partition by line_request[j]) + 1)::smallint,
         line_quantity[j]
    from generate_subscripts(line_request, 1) j
   where req_ok[line_request[j]];
  -- One audit row per line, each with the version its own step would have had.
  insert into stock_movements (product_id, delta, reason, hold_id, available_after, version)
  select line_product[j], -line_quantity[j], 'hold', hold_ids[line_request[j]], line_after[j],
         versions[line_pos[j]] + line_step[j]
    from generate_subscripts(line_request, 1) j
   where req_ok[line_request[j]];

  -- Each product's row as the batch left it is its locked row plus what the walk took.
  return query
  select line_request[j], line_product[j], line_quantity[j], req_ok[line_request[j]], line_refusal[j], line_fits[j],
         remaining[line_pos[j]], versions[line_pos[j]] + taken[line_pos[j]],
         limits[line_pos[j]], starts[line_pos[j]], ends[line_pos[j]], line_units[j],
         case when req_ok[line_request[j]] then hold_ids[line_request[j]] end,
         case when req_ok[line_request[j]] then expiry end,
         case when req_ok[line_request[j]] then now() end,
         now()
    from generate_subscripts(line_request, 1) j
   order by j;
end;
$$;
