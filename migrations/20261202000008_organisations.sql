-- Organisations (SPEC §8.1): a tree of organisations (the city bureau, its
-- district bureaus, institutes), their departments, the department each
-- approver belongs to, grants to act on approval steps, and supervisor marks.
--
-- The city and its districts are mapped onto organisations here, and a
-- district added later gets its organisation by trigger, so "own district"
-- (an inspector's scope) is also "own district organisation".

create table organisation (
    organisation_id  uuid primary key,
    parent_id        uuid constraint organisation_parent_fkey references organisation (organisation_id),
    name             text not null constraint organisation_name_check check (length(name) between 1 and 100),
    uscc             text constraint organisation_uscc_key unique,
    -- GB/T 2260 division of the area it serves
    division_code    text not null constraint organisation_division_code_format check (division_code ~ '^[0-9]{6}$'),
    -- set for a district bureau: the district whose pharmacies it supervises
    district_code    text constraint organisation_district_key unique
                          constraint organisation_district_fkey references district (district_code),
    kind             text not null constraint organisation_kind_check check (kind in ('city', 'district', 'institute', 'other')),
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint organisation_not_own_parent check (parent_id is distinct from organisation_id),
    constraint organisation_district_kind check ((kind = 'district') = (district_code is not null))
);
create index organisation_parent_idx on organisation (parent_id);
create trigger organisation_updated_at before update on organisation for each row execute function set_updated_at();

create table department (
    department_id    uuid primary key,
    organisation_id  uuid not null constraint department_organisation_fkey references organisation (organisation_id),
    name             text not null constraint department_name_check check (length(name) between 1 and 100),
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint department_name_key unique (organisation_id, name)
);
create trigger department_updated_at before update on department for each row execute function set_updated_at();

-- An approver belongs to one department; only approvers belong to one.
alter table app_user
    add column department_id uuid constraint app_user_department_fkey references department (department_id),
    add constraint app_user_department_binding check (department_id is null or role = 'approver');
create index app_user_department_idx on app_user (department_id) where department_id is not null;

-- 精细化审批授权: a user may act on one step of one item, or on that step of
-- every item of a business line. Items arrive with the approvals group; they
-- are named by code here.
create table approval_grant (
    grant_id       uuid primary key,
    user_id        uuid not null constraint approval_grant_user_fkey references app_user (user_id),
    item_code      text constraint approval_grant_item_check check (item_code ~ '^[A-Za-z0-9_.-]{1,64}$'),
    business_line  text constraint approval_grant_line_check check (length(business_line) between 1 and 64),
    step           text not null constraint approval_grant_step_check check (length(step) between 1 and 64),
    created_by     uuid constraint approval_grant_created_by_fkey references app_user (user_id),
    created_at     timestamptz not null default now(),
    constraint approval_grant_target check ((item_code is null) <> (business_line is null))
);
create unique index approval_grant_key on approval_grant (user_id, coalesce(item_code, ''), coalesce(business_line, ''), step);

-- A supervisor mark: department heads and leaders see the cases and
-- dashboards of a department or of an organisation.
create table supervision (
    supervision_id   uuid primary key,
    user_id          uuid not null constraint supervision_user_fkey references app_user (user_id),
    department_id    uuid constraint supervision_department_fkey references department (department_id),
    organisation_id  uuid constraint supervision_organisation_fkey references organisation (organisation_id),
    created_at       timestamptz not null default now(),
    constraint supervision_target check ((department_id is null) <> (organisation_id is null))
);
create unique index supervision_key on supervision (user_id, coalesce(department_id, organisation_id));

-- The city bureau of every city the districts belong to, then one bureau per
-- district under it. Ids are derived from the codes, so every deployment
-- gives the same organisation the same id.
create function organisation_id_of(kind text, code text) returns uuid
    language sql immutable
    as $$ select md5('yaojian:organisation:' || kind || ':' || code)::uuid $$;

insert into organisation (organisation_id, name, division_code, kind)
select distinct organisation_id_of('city', city_code),
       case city_code when '420100' then '武汉市市场监督管理局' else city_code || ' 市局' end,
       city_code, 'city'
from district
on conflict do nothing;

insert into organisation (organisation_id, parent_id, name, division_code, district_code, kind)
select organisation_id_of('district', d.district_code), organisation_id_of('city', d.city_code),
       d.name || '市场监督管理局', d.district_code, d.district_code, 'district'
from district d
on conflict do nothing;

create function district_organisation() returns trigger
    language plpgsql
    as $$
begin
    insert into organisation (organisation_id, name, division_code, kind)
    values (organisation_id_of('city', new.city_code), new.city_code || ' 市局', new.city_code, 'city')
    on conflict do nothing;
    insert into organisation (organisation_id, parent_id, name, division_code, district_code, kind)
    values (organisation_id_of('district', new.district_code), organisation_id_of('city', new.city_code),
            new.name || '市场监督管理局', new.district_code, new.district_code, 'district')
    on conflict do nothing;
    return new;
end
$$;
create trigger district_organisation after insert on district for each row execute function district_organisation();

-- An organisation and every organisation under it (the scope of an
-- organisation's approvers and supervisors).
create function organisation_subtree(root uuid) returns setof uuid
    language sql stable
    as $$
        with recursive tree(id) as (
            select root
            union
            select o.organisation_id from organisation o join tree t on o.parent_id = t.id
        )
        select id from tree
    $$;
