-- place_holds without rescans: a batch's cost no longer grows with the holds and products tables.
-- Migration 003's version read its results back by joins that the planner, expecting 1,000 rows
-- from generate_subscripts, ran as hash joins over the whole holds table and sequential scans of
-- products: every batch, a batch of one included, read every hold ever placed while it kept its
-- products locked. This version keeps what it locked and computed in arrays (the locked rows'
-- available and version, each product's units and lines taken) and returns from them; its only
-- reads of products are by primary key. Contract, arguments and results are those of migration 003.
create or replace function place_holds(
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
  expiry    timestamptz := now() + make_interval(secs => ttl_seconds);
  prod_ids  bigint[];   -- distinct products of the batch that exist, ascending
  versions  bigint[];   -- per product position: version when locked
  remaining int[];      -- per product position: available stock as the walk goes
  taken     int[];      -- per product position: lines granted so far (for each movement's version)
  units     int[];      -- per product position: units granted so far
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
  select coalesce(array_agg(l.id order by l.id), '{}'), coalesce(array_agg(l.available order by l.id), '{}'),
         coalesce(array_agg(l.version order by l.id), '{}')
    into prod_ids, remaining, versions
    from (select pr.id, pr.available, pr.version from products pr
           where pr.id = any(line_product) order by pr.id for no key update) l;
  taken := array_fill(0, array[greatest(array_length(prod_ids, 1), 1)]);
  units := taken;
  line_pos := array_fill(0, array[n_lines]);
  for j in 1 .. n_lines loop
    line_pos[j] := coalesce(array_position(prod_ids, line_product[j]), 0);
  end loop;
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
        units[p] := units[p] + line_quantity[j];
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

  insert into holds (id, expires_at)
  select hold_ids[i], expiry
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
  select line_request[j], line_product[j], line_quantity[j], req_ok[line_request[j]], line_fits[j],
         remaining[line_pos[j]], versions[line_pos[j]] + taken[line_pos[j]],
         case when req_ok[line_request[j]] then hold_ids[line_request[j]] end,
         case when req_ok[line_request[j]] then expiry end,
         case when req_ok[line_request[j]] then now() end,
         now()
    from generate_subscripts(line_request, 1) j
   order by j;
end;
$$;
