-- Delivery of outbox rows to data centres (SPEC §6), archive for retention.

-- One row per (target, outbox row), written with the outbox row in the same
-- transaction; workers claim pending rows with FOR UPDATE SKIP LOCKED.
create table sync_delivery (
    target           text not null,
    outbox_id        bigint not null constraint sync_delivery_outbox_fkey references outbox (outbox_id),
    status           text not null default 'pending' constraint sync_delivery_status_check
                         check (status in ('pending', 'delivered', 'rejected', 'dead')),
    attempts         integer not null default 0,
    next_attempt_at  timestamptz not null default now(),
    last_error       text,
    batch_id         uuid,
    delivered_at     timestamptz,
    created_at       timestamptz not null default now(),
    constraint sync_delivery_pkey primary key (target, outbox_id)
);
create index sync_delivery_pending_idx on sync_delivery (target, outbox_id) where status = 'pending';
create index sync_delivery_delivered_idx on sync_delivery (target, delivered_at) where status = 'delivered';

-- Every batch sent: what, how big, how long, how it ended.
create table sync_batch (
    batch_id      uuid primary key,
    target        text not null,
    records       integer not null,
    bytes         integer not null,
    duration_ms   integer not null,
    http_status   integer,
    outcome       text not null constraint sync_batch_outcome_check check (outcome in ('delivered', 'partial', 'failed')),
    accepted      integer not null default 0,
    rejected      integer not null default 0,
    error         text,
    created_at    timestamptz not null default now()
);
create index sync_batch_target_time_idx on sync_batch (target, created_at desc);

-- Records a data centre rejected, with its reason, for correction (回流).
create table sync_return (
    sync_return_id  bigserial primary key,
    target          text not null,
    outbox_id       bigint not null,
    record_key      text not null,
    reason          text not null,
    resolved_at     timestamptz,
    created_at      timestamptz not null default now()
);
create index sync_return_target_idx on sync_return (target, created_at desc);

-- Registrations past the retention period, moved here whole (items included).
create table registration_archive (
    registration_id  uuid primary key,
    pharmacy_id      uuid not null,
    district_code    text not null,
    created_at       timestamptz not null,
    record           jsonb not null,
    archived_at      timestamptz not null default now()
);
create index registration_archive_created_idx on registration_archive (created_at);
