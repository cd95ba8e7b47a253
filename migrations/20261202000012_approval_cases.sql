-- Approval cases (办件, SPEC §8.3–§8.4): a case handled under one version of
-- an item, its materials in object storage, the tasks of its steps, and a
-- signed, hash-linked trail of everything done to it.

create table approval_case (
    case_id             uuid primary key,
    item_id             uuid not null,
    item_version        integer not null,
    item_code           text not null,
    business_line       text not null,
    -- the organisation that handles it (city bureau or district bureau)
    organisation_id     uuid not null constraint approval_case_organisation_fkey references organisation (organisation_id),
    source              text not null constraint approval_case_source_check check (source in ('platform', 'window', 'national')),
    -- the configured platform it came from, and that platform's own case id
    platform            text,
    external_id         text constraint approval_case_external_id_check check (length(external_id) between 1 and 64),
    -- SM3 of what was submitted (the case part and the files' digests): a
    -- platform sending its case id again with other content is refused
    submission_sm3      text not null,
    applicant_kind      text not null constraint approval_case_applicant_kind_check check (applicant_kind in ('organisation', 'person')),
    -- names and ID numbers encrypted (SM4-GCM), found by blind index; a
    -- USCC is a public identifier and kept as it is
    applicant_name_enc  bytea not null,
    applicant_name_idx  bytea not null,
    applicant_uscc      text,
    applicant_id_enc    bytea,
    applicant_id_idx    bytea,
    applicant_contact_enc bytea,
    -- the application form, encrypted: it may hold ID numbers
    form_enc            bytea not null,
    state               text not null constraint approval_case_state_check check (state in (
                            'submitted', 'pre_reviewed', 'pre_review_failed', 'accepted', 'not_accepted',
                            'in_review', 'returned', 'suspended', 'approved', 'rejected', 'withdrawn',
                            'licence_issued', 'archived')),
    -- every reason pre-review failed, or why it was not accepted
    problems            jsonb,
    -- the step under way (index into the item version's steps) and how many
    -- times a step has been entered: tasks carry the round they belong to,
    -- so a task of a step left behind can never be decided
    step_index          integer,
    round               integer not null default 0,
    acceptance_number   text constraint approval_case_acceptance_number_key unique,
    accepted_on         date,
    -- the legal limit counted from the working day after acceptance, moved
    -- on by every working day the case was returned or suspended
    deadline            date,
    -- the deadline counted a year without holidays on record as Mondays to
    -- Fridays: it is recounted when that year's calendar is added
    deadline_provisional boolean not null default false,
    paused_since        date,
    paused_days         integer not null default 0,
    decided_at          timestamptz,
    created_by          uuid constraint approval_case_created_by_fkey references app_user (user_id),
    submitted_at        timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    constraint approval_case_item_version_fkey foreign key (item_id, item_version) references approval_item_version (item_id, version),
    constraint approval_case_external_key unique (platform, external_id),
    constraint approval_case_platform_binding check ((source = 'platform') = (platform is not null)),
    constraint approval_case_applicant_binding check (
        (applicant_kind = 'organisation' and applicant_uscc is not null and applicant_id_enc is null)
        or (applicant_kind = 'person' and applicant_id_enc is not null and applicant_uscc is null))
);
create index approval_case_organisation_idx on approval_case (organisation_id, submitted_at desc);
create index approval_case_state_idx on approval_case (state, deadline);
create index approval_case_item_idx on approval_case (item_code, submitted_at desc);
create index approval_case_applicant_name_idx on approval_case (applicant_name_idx);
create index approval_case_applicant_uscc_idx on approval_case (applicant_uscc) where applicant_uscc is not null;
create index approval_case_applicant_id_idx on approval_case (applicant_id_idx) where applicant_id_idx is not null;
create trigger approval_case_updated_at before update on approval_case for each row execute function set_updated_at();

-- One file per material and revision: revision 1 with the application, a
-- further one with each supplement (补正). The file itself is in object
-- storage under `object_key`, SM4-encrypted when the item is sensitive.
create table approval_material (
    case_id       uuid not null constraint approval_material_case_fkey references approval_case (case_id),
    code          text not null,
    revision      integer not null constraint approval_material_revision_check check (revision >= 1),
    file_name     text not null constraint approval_material_file_name_check check (length(file_name) between 1 and 200),
    content_type  text not null,
    size_bytes    bigint not null constraint approval_material_size_check check (size_bytes > 0),
    -- SM3 of the file as the applicant handed it in (hex)
    sm3           text not null constraint approval_material_sm3_check check (sm3 ~ '^[0-9a-f]{64}$'),
    object_key    text not null,
    encrypted     boolean not null,
    received_at   timestamptz not null default now(),
    primary key (case_id, code, revision)
);

-- The tasks of a step: one per user granted it. A task belongs to one round
-- of its case; entering a step (again) is a new round with new tasks, so no
-- task is lost or doubled by a return, a send-back or a countersign.
create table approval_task (
    task_id      uuid primary key,
    case_id      uuid not null constraint approval_task_case_fkey references approval_case (case_id),
    round        integer not null,
    step_index   integer not null,
    step_code    text not null,
    step_name    text not null,
    mode         text not null constraint approval_task_mode_check check (mode in ('single', 'all', 'any')),
    assignee_id  uuid not null constraint approval_task_assignee_fkey references app_user (user_id),
    -- open → claimed (single) → done; cancelled when the step is decided
    -- without it (a colleague claimed it, decided first, or returned it)
    state        text not null constraint approval_task_state_check check (state in ('open', 'claimed', 'done', 'cancelled')),
    decision     text,
    due_at       timestamptz,
    created_at   timestamptz not null default now(),
    decided_at   timestamptz,
    constraint approval_task_assignee_key unique (case_id, round, assignee_id)
);
create index approval_task_todo_idx on approval_task (assignee_id, due_at) where state in ('open', 'claimed');
create index approval_task_case_idx on approval_task (case_id, round);

-- The trail (可信追溯): every entry signed with SM2 over `signed`, the
-- canonical JSON it is given back as, which names the hash of the entry
-- before it. Entries are never changed.
create table approval_trail (
    case_id      uuid not null constraint approval_trail_case_fkey references approval_case (case_id),
    seq          integer not null constraint approval_trail_seq_check check (seq >= 1),
    action       text not null,
    step_code    text,
    task_id      uuid,
    actor_id     uuid constraint approval_trail_actor_fkey references app_user (user_id),
    at           timestamptz not null,
    -- the opinion as written; for a sensitive item only encrypted
    opinion      text,
    opinion_enc  bytea,
    detail       jsonb not null default '{}',
    signed       text not null,
    signature    text not null constraint approval_trail_signature_check check (signature ~ '^[0-9a-f]{128}$'),
    public_key   text not null constraint approval_trail_public_key_check check (public_key ~ '^04[0-9a-f]{128}$'),
    hash         text not null constraint approval_trail_hash_check check (hash ~ '^[0-9a-f]{64}$'),
    primary key (case_id, seq)
);

create function approval_trail_frozen() returns trigger language plpgsql as $$
begin
    raise exception 'approval_trail is append-only' using errcode = '42501';
end $$;
create trigger approval_trail_frozen before update or delete on approval_trail
    for each row execute function approval_trail_frozen();

-- SM2 key pairs of the local signer: one per approver (made when they first
-- sign) and one for the system's own entries. The private key is
-- SM4-encrypted under the master key; a key is never replaced.
create table signing_key (
    holder           text primary key constraint signing_key_holder_check check (holder = 'system' or holder ~ '^user:[0-9a-f-]{36}$'),
    public_key       text not null constraint signing_key_public_key_check check (public_key ~ '^04[0-9a-f]{128}$'),
    private_key_enc  bytea not null,
    created_at       timestamptz not null default now()
);

-- Acceptance numbers: the last sequence given by an organisation on a day,
-- taken under the row's lock so two acceptances never share one.
create table acceptance_counter (
    organisation_id  uuid not null constraint acceptance_counter_organisation_fkey references organisation (organisation_id),
    day              date not null,
    last             integer not null constraint acceptance_counter_last_check check (last between 1 and 999999),
    primary key (organisation_id, day)
);
