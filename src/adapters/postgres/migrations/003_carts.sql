-- Carts: a hold, and the order made from it, carry one or more product lines. Status and expiry
-- stay per hold (`holds`), payment per order (`orders`); products and quantities move to
-- `hold_lines` and `order_lines`, one row per product. Invariant I1 becomes, per product:
--   available + sum(lines of active holds) + sum(lines of orders created|paid) = total_stock
-- Existing one-product holds and orders become one-line holds and orders; nothing else changes.
-- Every statement that changes the stock of several products locks their rows in id order
-- (`place_holds` below, end-hold.sql, expire-overdue-holds.sql, return-order-stock.sql), so two of
-- them can never wait for each other in a cycle. They lock `for no key update`, the lock a plain
-- UPDATE takes, so the foreign-key checks of inserted lines and movements never wait on them.

create table hold_lines (
  hold_id    uuid     not null references holds (id),
  product_id bigint   not null references products (id),
  -- Position of the line in the request, so a hold shows its lines in the order they were asked.
  line_no    smallint not null check (line_no between 1 and 50),
  quantity   integer  not null check (quantity > 0),
  primary key (hold_id, product_id)
);
create index hold_lines_product on hold_lines (product_id);

insert into hold_lines (hold_id, product_id, line_no, quantity)
select id, product_id, 1, quantity from holds;

-- Drops holds_active_product with it; the held figure now starts from the active holds.
alter table holds drop column product_id, drop column quantity;

create table order_lines (
  order_id   bigint        not null references orders (id),
  product_id bigint        not null references products (id),
  line_no    smallint      not null check (line_no between 1 and 50),
  quantity   integer       not null check (quantity > 0),
  -- The product's price when the order was created, and quantity times it.
  unit_price numeric(12,2) not null check (unit_price >= 0),
  amount     numeric(14,2) not null check (amount >= 0),
  primary key (order_id, product_id)
);
create index order_lines_product on order_lines (product_id);

-- An existing order's amount is its price times its quantity, so the unit price divides exactly.
insert into order_lines (order_id, product_id, line_no, quantity, unit_price, amount)
select id, product_id, 1, quantity, round(amount / quantity, 2), amount from orders;

-- Drops orders_product_status with it; `orders.amount` stays, the sum of its lines.
alter table orders drop column product_id, drop column quantity;

-- Group commit of holds, carts included: places a batch of requests (each one or more lines) in
-- one transaction. Locks every product the batch touches, in id order, then walks the requests in
-- arrival order granting each one whose every line still fits (all or nothing per request; a later
-- request may fit after an earlier one was refused), takes each product's total with one
-- conditional update, inserts the granted holds, their lines and one stock movement per line.
--   hold_ids       one per request, in arrival order (chosen by the caller)
--   ttl_seconds    how long the holds last
--   line_request   per line: the 1-based position of its request in hold_ids; a request's lines
--                  are contiguous and in its own order
--   line_product, line_quantity   per line, parallel to line_request
-- Returns one row per line, in input order: whether its request was granted, whether the line
-- fitted when its request was decided (null: unknown product), and its product's available stock
-- and version after the batch; granted requests also get the hold's columns. db_now is the
-- database clock. Nothing is written for a request that is refused; the whole batch fails only if
-- the statement fails.
create function place_holds(
  hold_ids uuid[],
  ttl_seconds double precision,
  line_request int[],
  line_product bigint[],
  line_quantity int[]
) returns table (
  request     int,
  product_id  bigint,
  quantity    int,
  granted     boolean,
  fits        boolean,
  available   int,
  version     bigint,
  hold_id     uuid,
  expires_at  timestamptz,
  created_at  timestamptz,
  db_now      timestamptz
) language plpgsql as $$
#variable_conflict use_column
declare
  n_lines   int := coalesce(array_length(line_request, 1), 0);
  n_holds   int := coalesce(array_length(hold_ids, 1), 0);
  prod_ids  bigint[];   -- distinct products of the batch that exist, ascending
  remaining int[];      -- per product position: available stock as the walk goes
  taken     int[];      -- per product position: lines granted so far (for each movement's version)
  line_pos  int[];      -- per line: its product's position in prod_ids, 0 when unknown
  line_fits boolean[];
  line_after int[];     -- per line: the product's available stock right after the line was taken
  line_step int[];      -- per line: how many lines of its product were granted up to it
  req_ok    boolean[];
  first_line int := 1;
  last_line int;
  ok        boolean;
  p         int;
  expected  int;
  updated   int;
begin
  if n_lines = 0 then
    return;
  end if;
  -- The row locks, in id order: whatever else locks several products does it in the same order.
  select coalesce(array_agg(l.id order by l.id), '{}'), coalesce(array_agg(l.available order by l.id), '{}')
    into prod_ids, remaining
    from (select pr.id, pr.available from products pr
           where pr.id = any(line_product) order by pr.id for no key update) l;
  taken := array_fill(0, array[greatest(array_length(prod_ids, 1), 1)]);
  select array_agg(coalesce(array_position(prod_ids, u.pid), 0) order by u.ord)
    into line_pos
    from unnest(line_product) with ordinality u(pid, ord);
  line_fits := array_fill(null::boolean, array[n_lines]);
  line_after := array_fill(null::int, array[n_lines]);
  line_step := array_fill(null::int, array[n_lines]);
  req_ok := array_fill(false, array[n_holds]);

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
        ok := false;
      else
        line_fits[j] := line_quantity[j] <= remaining[p];
        ok := ok and line_fits[j];
      end if;
    end loop;
    if ok then
      req_ok[line_request[first_line]] := true;
      for j in first_line .. last_line loop
        p := line_pos[j];
        remaining[p] := remaining[p] - line_quantity[j];
        taken[p] := taken[p] + 1;
        line_after[j] := remaining[p];
        line_step[j] := taken[p];
      end loop;
    end if;
    first_line := last_line + 1;
  end loop;

  -- The arbiter, as for a single hold: each product's total only if it is still there. Under the
  -- locks above it always is; if not, nothing of the batch may be written.
  select count(*) into expected from unnest(taken) t where t > 0;
  with totals as (
    select prod_ids[line_pos[j]] as id, sum(line_quantity[j])::int as q, count(*)::int as n
      from generate_subscripts(line_request, 1) j
     where req_ok[line_request[j]]
     group by 1
  )
  update products pr
     set available = pr.available - t.q, version = pr.version + t.n, updated_at = now()
    from totals t
   where pr.id = t.id and pr.available >= t.q;
  get diagnostics updated = row_count;
  if updated <> expected then
    raise exception 'place_holds: stock changed under the row locks (% of % products updated)', updated, expected;
  end if;

  insert into holds (id, expires_at)
  select hold_ids[i], now() + make_interval(secs => ttl_seconds)
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
         pr.version - taken[line_pos[j]] + line_step[j]
    from generate_subscripts(line_request, 1) j
    join products pr on pr.id = line_product[j]
   where req_ok[line_request[j]];

  return query
  select line_request[j], line_product[j], line_quantity[j], req_ok[line_request[j]], line_fits[j],
         pr.available, pr.version, h.id, h.expires_at, h.created_at, now()
    from generate_subscripts(line_request, 1) j
    left join products pr on pr.id = line_product[j]
    left join holds h on req_ok[line_request[j]] and h.id = hold_ids[line_request[j]]
   order by j;
end;
$$;

-- Gives units back to products (a release, an expiry, a failed payment): locks the products in id
-- order in one statement, then adds the units in the next. Two statements, not one: an UPDATE that
-- shares a snapshot with the lock that waited may revisit a row's older version and queue behind a
-- waiter holding that version's tuple lock, a deadlock the id order alone does not prevent. The
-- second statement's snapshot sees exactly the versions already locked.
--   product_ids  distinct products, quantities  units back per product, counts  movements per product
-- Returns one row per product: its available stock and version after, and the quantity and count.
create function return_stock(product_ids bigint[], quantities int[], counts int[])
returns table (product_id bigint, available int, version bigint, quantity int, n int)
language plpgsql as $$
#variable_conflict use_column
begin
  perform 1 from products pr where pr.id = any(product_ids) order by pr.id for no key update;
  return query
  update products pr
     set available = pr.available + r.q, version = pr.version + r.n, updated_at = now()
    from unnest(product_ids, quantities, counts) as r(id, q, n)
   where pr.id = r.id
  returning pr.id, pr.available, pr.version, r.q, r.n;
end;
$$;
