-- Registration responses list the kinds of alert each sale raised; without
-- this index that lookup scanned the whole alert table.
create index alert_registration_idx on alert (registration_id) where registration_id is not null;
