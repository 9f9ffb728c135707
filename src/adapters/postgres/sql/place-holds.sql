-- Places a batch of holds, each of one or more product lines, in one statement (group commit;
-- a single hold is a batch of one). The work is done by the place_holds function of migration 003:
-- it locks every product of the batch in id order, decides the requests in arrival order, all
-- lines of a request or none, and writes the granted holds, their lines and one stock movement
-- per line.
-- $1 hold ids (uuid[], one per request, arrival order), $2 time to live in seconds,
-- $3 per line: 1-based request position (int[]), $4 per line: product id (bigint[]),
-- $5 per line: quantity (int[]); a request's lines are contiguous.
-- Returns one row per line, in input order: request, product_id, quantity, granted, fits (null for
-- an unknown product), the product's available stock and version after the batch, the hold's
-- id/expires_at/created_at when granted, and the database clock.
select request, product_id, quantity, granted, fits, available, version, hold_id, expires_at, created_at, db_now
  from place_holds($1::uuid[], $2::double precision, $3::int[], $4::bigint[], $5::int[])
