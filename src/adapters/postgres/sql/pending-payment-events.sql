-- Events that arrived for an order before it existed and are still within their 24-hour keep,
-- oldest first, locked so that only one transaction applies them.
-- $1 order id
select id, idempotency_key, payment_status
  from payment_events
 where order_id = $1::bigint and outcome = 'pending' and received_at > now() - interval '24 hours'
 order by id
   for update
