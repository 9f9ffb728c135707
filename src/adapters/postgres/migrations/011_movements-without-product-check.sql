-- Fewer writes per unit of stock that moves (decision 27). Every stock movement is inserted by the
-- statement that has just locked and updated (or inserted) its product's row: a hold batch, the
-- return of a hold's or an order's lines, an adjustment, a new product. The foreign key from
-- stock_movements.product_id could therefore never refuse a movement the service writes, yet it
-- ran a check per row under the product's lock: a seventh of the time of expiring 10,000 holds,
-- one query per movement. What it did protect is that a product with a history is never deleted
-- (each product has its 'initial' movement, so no product could be); that is now said directly:
-- a product is never deleted or truncated, its movements are its history.

alter table stock_movements drop constraint stock_movements_product_id_fkey;

create function refuse_product_removal() returns trigger language plpgsql as $$
begin
  raise exception 'products are never deleted: their stock movements are their history'
    using errcode = 'restrict_violation';
end;
$$;

create trigger products_never_deleted before delete on products
  for each row execute function refuse_product_removal();
create trigger products_never_truncated before truncate on products
  for each statement execute function refuse_product_removal();
