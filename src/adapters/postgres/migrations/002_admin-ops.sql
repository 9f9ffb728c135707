-- The operator's listing of holds pages newest first; without this index every page would sort
-- the whole table. Orders page by id, which the primary key already covers.
create index holds_created_at on holds (created_at);
