-- Registrations per pharmacy (and its district at sale time) per China day,
-- kept by triggers in the writing statement's transaction, so that a list's
-- `total` over whole days is a sum of a few rows instead of a count of every
-- registration in range (an inspector's 30 days of a district are ~60,000
-- rows at 10 million stored). Filters that are not whole days (barcode,
-- buyer) still count exactly.
create table registration_count (
    pharmacy_id    uuid not null,
    district_code  text not null,
    day            date not null,
    n              bigint not null,
    -- `n` in both indexes: sums are index-only scans (the rows of one
    -- pharmacy or district are scattered over the heap: 354 heap pages for
    -- one pharmacy's year, 10,347 for a district's 30 days, at 10 million).
    constraint registration_count_pkey primary key (pharmacy_id, day, district_code) include (n)
);
create index registration_count_district_day_idx on registration_count (district_code, day) include (n);

-- Counts everything again from the registrations (here, and after a bulk
-- load made with the counting trigger paused).
create function registration_count_rebuild() returns void language sql as $$
    delete from registration_count;
    insert into registration_count (pharmacy_id, district_code, day, n)
    select pharmacy_id, district_code, (created_at at time zone 'Asia/Shanghai')::date, count(*)
    from registration group by 1, 2, 3;
$$;
select registration_count_rebuild();

create function registration_count_add() returns trigger language plpgsql as $$
begin
    insert into registration_count (pharmacy_id, district_code, day, n)
    select pharmacy_id, district_code, (created_at at time zone 'Asia/Shanghai')::date, count(*)
    from new_rows group by 1, 2, 3
    on conflict (pharmacy_id, day, district_code) do update set n = registration_count.n + excluded.n;
    return null;
end $$;

create function registration_count_remove() returns trigger language plpgsql as $$
begin
    update registration_count c set n = c.n - o.n
    from (select pharmacy_id, district_code, (created_at at time zone 'Asia/Shanghai')::date as day, count(*) as n
          from old_rows group by 1, 2, 3) o
    where c.pharmacy_id = o.pharmacy_id and c.day = o.day and c.district_code = o.district_code;
    return null;
end $$;

-- Statement-level with transition tables: one upsert per statement, whatever
-- its number of rows (COPY and the retention job included).
create trigger registration_counted after insert on registration
    referencing new table as new_rows for each statement execute function registration_count_add();
create trigger registration_uncounted after delete on registration
    referencing old table as old_rows for each statement execute function registration_count_remove();
-- (Transition tables cannot be limited to columns: every update recounts its rows.)
create trigger registration_recounted_old after update on registration
    referencing old table as old_rows for each statement execute function registration_count_remove();
create trigger registration_recounted_new after update on registration
    referencing new table as new_rows for each statement execute function registration_count_add();
