-- Money in a currency: every product has an ISO 4217 currency, and an order keeps the currency
-- of its product at the time it was made. Prices and amounts get four decimals of room, the
-- most any currency's minor unit uses (CLF); the service refuses a price with more decimals than
-- its own currency allows, so nothing is ever rounded here.
-- Existing products take the `flashsale.currency` setting of the migrating session (the
-- service's CURRENCY), else USD.

alter table products
  add column currency text not null
    default coalesce(nullif(current_setting('flashsale.currency', true), ''), 'USD')
    check (currency ~ '^[A-Z]{3}$');
alter table products alter column currency set default 'USD';
alter table products alter column price type numeric(14,4);

alter table orders add column currency text check (currency ~ '^[A-Z]{3}$');
update orders o set currency = p.currency from products p where p.id = o.product_id;
alter table orders alter column currency set not null;
alter table orders alter column amount type numeric(18,4);
