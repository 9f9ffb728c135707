-- Money in a currency: every product has an ISO 4217 currency, and an order the currency of its
-- products (one order never mixes currencies). Prices and amounts get four decimals of room, the
-- most any currency's minor unit uses (CLF); the service refuses a price with more decimals than
-- its own currency allows, so nothing is ever rounded here.
-- Products and orders that exist already were priced in the one currency the service had: the
-- `flashsale.currency` setting of the migrating session (the service's CURRENCY), else USD.

alter table products
  add column currency text not null
    default coalesce(nullif(current_setting('flashsale.currency', true), ''), 'USD')
    check (currency ~ '^[A-Z]{3}$');
alter table products alter column currency set default 'USD';
alter table products alter column price type numeric(14,4);

-- No default once filled: a new order states its currency, taken from its products.
alter table orders
  add column currency text not null
    default coalesce(nullif(current_setting('flashsale.currency', true), ''), 'USD')
    check (currency ~ '^[A-Z]{3}$');
alter table orders alter column currency drop default;
alter table orders alter column amount type numeric(18,4);

-- The priced lines of orders (carts), where that table exists.
do $$
begin
  if to_regclass('order_lines') is not null then
    alter table order_lines alter column unit_price type numeric(14,4), alter column amount type numeric(18,4);
  end if;
end
$$;
