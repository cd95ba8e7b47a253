-- Hardening (secrets at rest, cheap metrics).

-- A creating POST whose answer carries a one-time secret (an initial
-- password, an invite code) stores its answer without the secret; the
-- secret is kept apart, SM4-GCM encrypted, for the short time a client may
-- retry, and cleared by the `idempotency-expiry` job.
alter table idempotency_key add column sealed_secrets bytea;

-- /metrics counts dead and rejected deliveries per target from these
-- (pending and delivered have theirs already).
create index sync_delivery_dead_idx on sync_delivery (target) where status = 'dead';
create index sync_delivery_rejected_idx on sync_delivery (target) where status = 'rejected';
