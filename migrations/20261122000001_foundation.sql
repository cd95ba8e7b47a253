-- Foundation: regions, pharmacies, users, invites, the audit chain.
-- Conventions: lower-case SQL, singular table names, <table>_id keys,
-- created_at/updated_at with one shared trigger, named constraints (the API maps
-- constraint names to error codes in shared/src/error.rs).

create function set_updated_at() returns trigger language plpgsql as $$
begin
    new.updated_at := now();
    return new;
end $$;

-- GB/T 2260 administrative divisions we serve (districts of a city).
create table district (
    district_code   text primary key constraint district_code_format check (district_code ~ '^[0-9]{6}$'),
    name            text not null,
    city_code       text not null constraint district_city_code_format check (city_code ~ '^[0-9]{6}$'),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);
create trigger district_updated_at before update on district for each row execute function set_updated_at();

create table pharmacy (
    pharmacy_id     uuid primary key,
    name            text not null constraint pharmacy_name_present check (length(btrim(name)) > 0),
    licence_number  text not null constraint pharmacy_licence_number_key unique,
    uscc            text,
    uscc_flagged    boolean not null default false,
    district_code   text not null constraint pharmacy_district_fkey references district (district_code),
    address         text not null default '',
    contact_phone   text not null default '',
    status          text not null default 'active' constraint pharmacy_status_check check (status in ('active', 'suspended')),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);
create index pharmacy_district_idx on pharmacy (district_code);
create trigger pharmacy_updated_at before update on pharmacy for each row execute function set_updated_at();

create table app_user (
    user_id               uuid primary key,
    role                  text not null constraint app_user_role_check check (role in ('clerk', 'pharmacy_manager', 'inspector', 'city_admin', 'approver', 'enterprise')),
    display_name          text not null,
    username              text constraint app_user_username_key unique,
    password_hash         text,
    must_change_password  boolean not null default false,
    wechat_openid         text constraint app_user_wechat_openid_key unique,
    wechat_unionid        text,
    pharmacy_id           uuid constraint app_user_pharmacy_fkey references pharmacy (pharmacy_id),
    district_code         text constraint app_user_district_fkey references district (district_code),
    phone                 text,
    status                text not null default 'active' constraint app_user_status_check check (status in ('active', 'inactive')),
    last_login_at         timestamptz,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now(),
    -- clerks and managers belong to a pharmacy, and only they do
    constraint app_user_pharmacy_binding check ((role in ('clerk', 'pharmacy_manager')) = (pharmacy_id is not null)),
    constraint app_user_district_binding check (role <> 'inspector' or district_code is not null)
);
create index app_user_pharmacy_idx on app_user (pharmacy_id) where pharmacy_id is not null;
create trigger app_user_updated_at before update on app_user for each row execute function set_updated_at();

-- Single-use codes that bind a WeChat account to a user (72 h); only a hash is stored.
create table invite (
    invite_id    uuid primary key,
    user_id      uuid not null constraint invite_user_fkey references app_user (user_id) on delete cascade,
    code_hash    bytea not null constraint invite_code_hash_key unique,
    expires_at   timestamptz not null,
    used_at      timestamptz,
    created_by   uuid constraint invite_created_by_fkey references app_user (user_id),
    created_at   timestamptz not null default now()
);
create index invite_user_idx on invite (user_id);

-- The audit chain (shared/src/audit.rs): one hash chain per stream.
create table audit_head (
    stream  text primary key,
    seq     bigint not null,
    hash    bytea not null
);

create table audit_log (
    audit_log_id   bigserial primary key,
    stream         text not null,
    seq            bigint not null,
    created_at     timestamptz not null,
    actor_user_id  uuid,
    actor_role     text,
    action         text not null,
    object_type    text not null,
    object_id      text,
    detail         jsonb not null default '{}'::jsonb,
    prev_hash      bytea not null,
    hash           bytea not null,
    constraint audit_log_stream_seq_key unique (stream, seq)
);
create index audit_log_created_at_idx on audit_log (created_at);
create index audit_log_actor_idx on audit_log (actor_user_id, created_at);

-- Append-only: the application never updates or deletes audit rows. (A
-- superuser can still disable this; `yaojian audit verify` catches what follows.)
create function audit_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only' using errcode = '42501';
end $$;
create trigger audit_log_no_update before update or delete on audit_log
    for each row execute function audit_log_append_only();
