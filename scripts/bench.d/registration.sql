-- The SQL one POST /registrations runs (functions/src/registrations/record.rs
-- and repo.rs), for pgbench -M prepared: the database's own ceiling for the
-- same work, in the same six round trips. The server knows the clerk and the
-- pharmacy from the session; here they are found by the bench licence number.
\set n random(1, 2000000000)
\set p random(0, 6399)
BEGIN;
INSERT INTO idempotency_key AS k (user_id, key, request_hash) VALUES ('00000000-0000-0000-0000-0000000000b1', 'pgb-' || :n || '-' || :client_id, '\x00')
  ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash, status_code = 0, response = NULL, created_at = now()
  WHERE k.created_at < now() - make_interval(hours => 24) RETURNING true;
SELECT pg_advisory_xact_lock(:n);
WITH counter AS (
    SELECT p.pharmacy_id, p.name AS pharmacy_name, p.district_code, p.status AS pharmacy_status, u.user_id
    FROM app_user u JOIN pharmacy p ON p.pharmacy_id = u.pharmacy_id
    WHERE u.status = 'active' AND p.licence_number = 'BENCH-' || lpad(:p::text, 5, '0') LIMIT 1),
head AS (
    INSERT INTO audit_head AS h (stream, seq, hash) SELECT 'pharmacy:' || pharmacy_id, 0, '\x00' FROM counter
    ON CONFLICT (stream) DO UPDATE SET seq = h.seq RETURNING h.seq, h.hash),
recent AS (
    SELECT coalesce(sum(total_packages) FILTER (WHERE created_at > now() - make_interval(days => 7)), 0)::bigint AS window_packages,
           count(DISTINCT pharmacy_id) FILTER (WHERE created_at > now() - interval '24 hours') AS day_pharmacies,
           coalesce(bool_or(pharmacy_id = (SELECT pharmacy_id FROM counter)) FILTER (WHERE created_at > now() - interval '24 hours'), false) AS day_here
    FROM registration WHERE buyer_id_index = sha256(:n::text::bytea) AND created_at > now() - make_interval(days => greatest(7, 1)))
SELECT h.seq AS head_seq, c.pharmacy_id AS ph, c.district_code AS dist, c.user_id AS clerk,
       r.window_packages, r.day_pharmacies, r.day_here,
       EXISTS (SELECT 1 FROM alert a WHERE a.kind = 'MULTI_PHARMACY' AND a.created_at > now() - interval '24 hours'
               AND a.buyer_id_index = sha256(:n::text::bytea)) AS multi_alerted,
       d.drug_id, d.barcode, d.approval_number, d.name, d.strength, d.manufacturer, d.package_unit,
       d.special_category, d.rx_only, d.max_per_purchase, d.active
FROM head h CROSS JOIN recent r LEFT JOIN counter c ON true LEFT JOIN drug d ON d.barcode = ANY('{6901234560015}'::text[]) \gset
WITH registration_row AS (
    INSERT INTO registration (registration_id, pharmacy_id, district_code, clerk_user_id, buyer_id_index, buyer_id_enc,
        buyer_name_enc, source, method, prescription_no, total_packages, needs_review, client_time, created_at)
    VALUES (gen_random_uuid(), :ph::uuid, :dist, :clerk::uuid, sha256(:n::text::bytea), sha256(('e' || :n)::bytea) || sha256(('f' || :n)::bytea),
        sha256(('g' || :n)::bytea) || sha256(('h' || :n)::bytea), 'manual', 'manual', NULL, 1, true, NULL, now())
    RETURNING registration_id),
registration_items AS (
    INSERT INTO registration_item (registration_id, line_no, drug_id, barcode, quantity, batch_no, trace_code)
    SELECT r.registration_id, i.* FROM registration_row r,
        unnest('{0}'::int2[], ARRAY[:drug_id::uuid], '{6901234560015}'::text[], '{1}'::int4[], '{B2026}'::text[], '{NULL}'::text[]) AS i),
outbox_row AS (
    INSERT INTO outbox (entity, entity_key, op) SELECT 'registration', registration_id::text, 'create' FROM registration_row RETURNING outbox_id),
outbox_deliveries AS (
    INSERT INTO sync_delivery (target, outbox_id) SELECT t, o.outbox_id FROM outbox_row o, unnest('{bench}'::text[]) AS t),
audit_entry AS (
    INSERT INTO audit_log (stream, seq, created_at, actor_user_id, actor_role, action, object_type, object_id, detail, prev_hash, hash)
    SELECT 'pharmacy:' || :ph, :head_seq::int8 + 1, now(), :clerk::uuid, 'clerk', 'registration.create', 'registration', registration_id::text,
        '{"alerts": [], "lines": 1, "packages": 1, "source": "manual"}', '\x00', sha256(:n::text::bytea) FROM registration_row
    RETURNING audit_log_id),
audit_head_moved AS (
    UPDATE audit_head SET seq = :head_seq::int8 + 1, hash = sha256(:n::text::bytea) WHERE stream = 'pharmacy:' || :ph),
idempotency_answered AS (
    UPDATE idempotency_key SET status_code = 201, response = '{"id": "bench"}'
    WHERE user_id = '00000000-0000-0000-0000-0000000000b1' AND key = 'pgb-' || :n || '-' || :client_id)
SELECT 1;
COMMIT;
