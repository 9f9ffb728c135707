-- Unpaid orders end (decision 18). Every order created from now on carries its payment deadline,
-- `payment_due_at` (the creating transaction's now() plus ORDER_PAYMENT_TTL_SECONDS, by the
-- database clock; null when the service runs without a deadline). An order still `created` after
-- it becomes `cancelled` and its lines' stock returns, once, with an 'order_cancelled' movement per
-- line; `cancelled_by` says which path did it. A payment that arrives for a cancelled order leaves
-- it cancelled and sets `refund_due`; its event is recorded with the outcome 'late'.
-- Orders that exist already were created without a deadline and keep none (null): the service never
-- promised their buyers one, and a payment for them may still be on its way.

alter table orders
  add column payment_due_at timestamptz,
  add column refund_due     boolean not null default false,
  add column cancelled_by   text check (cancelled_by in ('job', 'sweeper', 'request'));

alter table orders drop constraint orders_payment_status_check;
alter table orders add constraint orders_payment_status_check
  check (payment_status in ('created', 'paid', 'failed', 'cancelled'));
alter table orders add constraint orders_cancelled_by_cancelled
  check ((payment_status = 'cancelled') = (cancelled_by is not null));
-- Only a cancelled order can owe its buyer a refund.
alter table orders add constraint orders_refund_due_cancelled
  check (not refund_due or payment_status = 'cancelled');

-- The sweeper's question, "which created orders are past their deadline", and nothing else.
create index orders_created_payment_due on orders (payment_due_at)
  where payment_status = 'created' and payment_due_at is not null;

alter table stock_movements drop constraint stock_movements_reason_check;
alter table stock_movements add constraint stock_movements_reason_check check (reason in
  ('initial', 'hold', 'hold_released', 'hold_expired', 'payment_failed', 'order_cancelled', 'adjustment'));

alter table payment_events drop constraint payment_events_outcome_check;
alter table payment_events add constraint payment_events_outcome_check
  check (outcome in ('applied', 'ignored', 'pending', 'late'));
