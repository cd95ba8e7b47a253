-- Approval items (事项, SPEC §8.2): configuration managed by city admins and
-- versioned. Editing an item adds a version; a case keeps the version it was
-- accepted under, so a version is never changed once written.

create table approval_item (
    item_id          uuid primary key,
    code             text not null constraint approval_item_code_key unique
                          constraint approval_item_code_check check (code ~ '^[A-Za-z0-9_.-]{1,64}$'),
    current_version  integer not null constraint approval_item_version_check check (current_version >= 1),
    -- a retired item takes no new case; cases in flight finish under their version
    retired          boolean not null default false,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now()
);
create trigger approval_item_updated_at before update on approval_item for each row execute function set_updated_at();

create table approval_item_version (
    item_id      uuid not null constraint approval_item_version_item_fkey references approval_item (item_id),
    version      integer not null constraint approval_item_version_number_check check (version >= 1),
    -- the whole definition as the API takes it (name, line, kind, level,
    -- time limit, steps, materials, form fields, flags, licence type),
    -- checked by the approval-items group before it is written
    definition   jsonb not null constraint approval_item_version_definition_check check (jsonb_typeof(definition) = 'object'),
    created_by   uuid constraint approval_item_version_created_by_fkey references app_user (user_id),
    created_at   timestamptz not null default now(),
    primary key (item_id, version)
);

create function approval_item_version_frozen() returns trigger language plpgsql as $$
begin
    raise exception 'approval_item_version is append-only: add a version instead' using errcode = '42501';
end $$;
create trigger approval_item_version_frozen before update or delete on approval_item_version
    for each row execute function approval_item_version_frozen();
