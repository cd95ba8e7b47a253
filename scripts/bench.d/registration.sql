-- The SQL one POST /registrations runs (functions/src/registrations/record.rs),
-- for pgbench: the database's own ceiling for the same work.
\set n random(1, 2000000000)
\set p random(0, 6399)
BEGIN;
INSERT INTO idempotency_key (user_id, key, request_hash) VALUES ('00000000-0000-0000-0000-0000000000b1', 'pgb-' || :n || '-' || :client_id, '\x00') ON CONFLICT DO NOTHING;
SELECT p.pharmacy_id AS ph, u.user_id AS clerk, p.district_code AS dist, p.status
  FROM pharmacy p JOIN app_user u ON u.pharmacy_id = p.pharmacy_id
  WHERE p.licence_number = 'BENCH-' || lpad(:p::text, 5, '0') AND u.status = 'active' LIMIT 1 \gset
SELECT drug_id, barcode, rx_only, max_per_purchase, active FROM drug WHERE barcode = ANY('{6901234560015}');
SELECT pg_advisory_xact_lock(:n);
SELECT coalesce(sum(total_packages), 0) FROM registration WHERE buyer_id_index = sha256(:n::text::bytea) AND created_at > now() - interval '7 days';
INSERT INTO registration (registration_id, pharmacy_id, district_code, clerk_user_id, buyer_id_index, buyer_id_enc, buyer_name_enc, source, method, total_packages, needs_review, created_at)
  VALUES (gen_random_uuid(), ':ph', ':dist', ':clerk', sha256(:n::text::bytea), sha256(('e' || :n)::bytea) || sha256(('f' || :n)::bytea), sha256(('g' || :n)::bytea) || sha256(('h' || :n)::bytea), 'id_card', 'card_reader', 1, false, now())
  RETURNING registration_id \gset
INSERT INTO registration_item (registration_id, line_no, drug_id, barcode, quantity, batch_no)
  SELECT ':registration_id', 0, drug_id, barcode, 1, 'B2026' FROM drug WHERE barcode = '6901234560015';
INSERT INTO outbox (entity, entity_key, op) VALUES ('registration', ':registration_id', 'create') RETURNING outbox_id \gset
INSERT INTO sync_delivery (target, outbox_id) VALUES ('bench', :outbox_id);
SELECT count(DISTINCT pharmacy_id) FROM registration WHERE buyer_id_index = sha256(:n::text::bytea) AND created_at > now() - interval '24 hours';
INSERT INTO audit_head (stream, seq, hash) VALUES ('pharmacy:' || ':ph', 0, '\x00') ON CONFLICT (stream) DO NOTHING;
SELECT seq, hash FROM audit_head WHERE stream = 'pharmacy:' || ':ph' FOR UPDATE;
INSERT INTO audit_log (stream, seq, created_at, actor_user_id, actor_role, action, object_type, object_id, detail, prev_hash, hash)
  VALUES ('pharmacy:' || ':ph', :n, now(), ':clerk', 'clerk', 'registration.create', 'registration', ':registration_id', '{"packages":1}', '\x00', sha256(:n::text::bytea));
UPDATE audit_head SET seq = seq + 1, hash = sha256(:n::text::bytea) WHERE stream = 'pharmacy:' || ':ph';
UPDATE idempotency_key SET status_code = 201, response = '{}' WHERE user_id = '00000000-0000-0000-0000-0000000000b1' AND key = 'pgb-' || :n || '-' || :client_id;
COMMIT;
