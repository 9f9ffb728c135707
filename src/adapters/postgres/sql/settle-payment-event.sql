-- Records what a payment event did and the response to replay for its key.
-- $1 event id, $2 outcome, $3 response status, $4 response body (json)
update payment_events
   set outcome = $2::text, response_status = $3::int, response_body = $4::jsonb,
       settled_at = case when $2::text = 'pending' then null else now() end
 where id = $1::bigint
