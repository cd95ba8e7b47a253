-- Special-drug sales registration (SPEC §4.2, §4.3): catalogue, registrations
-- and their items, refused attempts, alerts, the outbox, idempotency keys.
-- Buyers' ID numbers and names are stored only encrypted (SM4-GCM) with a keyed
-- blind index (HMAC-SM3) for equality lookups.

create table drug (
    drug_id           uuid primary key,
    barcode           text not null constraint drug_barcode_key unique,
    approval_number   text not null,
    name              text not null,
    strength          text not null default '',
    manufacturer      text not null default '',
    package_unit      text not null default '盒',
    special_category  text not null constraint drug_special_category_check
                          check (special_category in ('ephedrine', 'codeine', 'diphenoxylate', 'liquorice')),
    rx_only           boolean not null default false,
    -- a per-product cap stricter than the policy's per-sale cap (null: policy)
    max_per_purchase  integer constraint drug_max_per_purchase_check check (max_per_purchase is null or max_per_purchase > 0),
    active            boolean not null default true,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now()
);
create index drug_name_idx on drug (name);
create trigger drug_updated_at before update on drug for each row execute function set_updated_at();

create table registration (
    registration_id     uuid primary key,
    pharmacy_id         uuid not null constraint registration_pharmacy_fkey references pharmacy (pharmacy_id),
    -- the pharmacy's district at the time of sale (inspector scope)
    district_code       text not null constraint registration_district_fkey references district (district_code),
    clerk_user_id       uuid not null constraint registration_clerk_fkey references app_user (user_id),
    buyer_id_index      bytea not null,
    buyer_id_enc        bytea not null,
    buyer_name_enc      bytea not null,
    source              text not null constraint registration_source_check check (source in ('id_card', 'ss_card', 'manual')),
    method              text not null constraint registration_method_check check (method in ('photo', 'card_reader', 'manual')),
    prescription_no     text,
    total_packages      integer not null constraint registration_total_packages_check check (total_packages > 0),
    needs_review        boolean not null default false,
    client_time         timestamptz,
    created_at          timestamptz not null default now()
);
create index registration_pharmacy_time_idx on registration (pharmacy_id, created_at desc);
create index registration_district_time_idx on registration (district_code, created_at desc);
create index registration_buyer_time_idx on registration (buyer_id_index, created_at desc);
create index registration_time_idx on registration (created_at desc);

create table registration_item (
    registration_id  uuid not null constraint registration_item_registration_fkey references registration (registration_id) on delete cascade,
    line_no          smallint not null,
    drug_id          uuid not null constraint registration_item_drug_fkey references drug (drug_id),
    barcode          text not null,
    quantity         integer not null constraint registration_item_quantity_check check (quantity > 0),
    batch_no         text,
    trace_code       text,
    primary key (registration_id, line_no)
);
create index registration_item_barcode_idx on registration_item (barcode);

-- Attempts refused by a rule: kept apart from sales, for inspectors.
create table refused_attempt (
    refused_attempt_id  uuid primary key,
    pharmacy_id         uuid not null constraint refused_attempt_pharmacy_fkey references pharmacy (pharmacy_id),
    district_code       text not null,
    clerk_user_id       uuid not null,
    buyer_id_index      bytea,
    code                text not null,
    detail              jsonb not null default '{}'::jsonb,
    created_at          timestamptz not null default now()
);
create index refused_attempt_pharmacy_time_idx on refused_attempt (pharmacy_id, created_at desc);

create table alert (
    alert_id          uuid primary key,
    kind              text not null constraint alert_kind_check check (kind in ('MINOR_ATTEMPT', 'WINDOW_LIMIT', 'MULTI_PHARMACY', 'SYNC_LAG', 'DEAD_LETTER')),
    district_code     text,
    pharmacy_id       uuid constraint alert_pharmacy_fkey references pharmacy (pharmacy_id),
    buyer_id_index    bytea,
    registration_id   uuid,
    refused_attempt_id uuid,
    status            text not null default 'open' constraint alert_status_check check (status in ('open', 'resolved')),
    detail            jsonb not null default '{}'::jsonb,
    resolved_by       uuid,
    resolved_at       timestamptz,
    resolution_note   text,
    created_at        timestamptz not null default now()
);
create index alert_district_status_idx on alert (district_code, status, created_at desc);
create index alert_buyer_kind_idx on alert (buyer_id_index, kind, created_at desc);

-- Written in the same transaction as the change; delivered by `yaojian sync run`.
create table outbox (
    outbox_id    bigserial primary key,
    entity       text not null,
    entity_key   text not null,
    op           text not null constraint outbox_op_check check (op in ('create', 'update', 'delete')),
    created_at   timestamptz not null default now()
);
create index outbox_entity_idx on outbox (entity, outbox_id);

-- Idempotency-Key (SPEC §3), per caller, kept 24 h; written in the same
-- transaction as what it creates.
create table idempotency_key (
    user_id        uuid not null,
    key            text not null,
    request_hash   bytea not null,
    -- 0 and null while the creating transaction runs; set before it commits
    status_code    smallint not null default 0,
    response       jsonb,
    created_at     timestamptz not null default now(),
    constraint idempotency_key_pkey primary key (user_id, key)
);
create index idempotency_key_created_idx on idempotency_key (created_at);
