-- Claims an idempotency key for a payment event. A concurrent claim of the same key waits here
-- until the first transaction ends, then gets no row and reads the stored event instead.
-- $1 key, $2 order id, $3 reported status, $4 request fingerprint
-- Returns the new event's id, or no row when the key was already used.
insert into payment_events
       (idempotency_key, order_id, payment_status, fingerprint, outcome, response_status, response_body)
values ($1::text, $2::bigint, $3::text, $4::text, 'pending', 0, '{}'::jsonb)
on conflict (idempotency_key) do nothing
returning id
