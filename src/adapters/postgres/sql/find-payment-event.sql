-- A stored payment event by idempotency key ($1), with the response it produced.
select id, order_id, payment_status, fingerprint, outcome, response_status, response_body
  from payment_events
 where idempotency_key = $1::text
