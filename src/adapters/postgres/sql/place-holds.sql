-- Places a batch of holds, each of one or more product lines, in one statement (group commit;
-- a single hold is a batch of one). The work is done by the place_holds function of migration 010:
-- it locks every product of the batch in id order, decides the requests in arrival order by the
-- products' sale windows, customer limits and stock, all lines of a request or none, and writes the
-- granted holds, their lines and one stock movement per line.
-- $1 hold ids (uuid[], one per request, arrival order), $2 per request: customer id or null (text[]),
-- $3 time to live in seconds, $4 per line: 1-based request position (int[]), $5 per line: product id
-- (bigint[]), $6 per line: quantity (int[]); a request's lines are contiguous.
-- Returns one row per line, in input order: request, product_id, quantity, granted, the line's own
-- refusal (null when it passed), fits (null when an earlier rule refused it), the product's available
-- stock and version after the batch, its limit and sale window, the customer's units before the
-- line, the hold's id/expires_at/created_at when granted, and the database clock.
select request, product_id, quantity, granted, refusal, fits, available, version, max_per_customer,
       sale_starts_at, sale_ends_at, customer_units, hold_id, expires_at, created_at, db_now
  from place_holds($1::uuid[], $2::text[], $3::double precision, $4::int[], $5::bigint[], $6::int[])
