-- bootgated schema version 4 (PostgreSQL): revocation sticks to the AK. Keep in step with
-- sqlite/0004_revoked_aks.sql: same tables, columns and constraints; only the types differ.
-- Times are microseconds since the Unix epoch.

-- Every AK ever revoked, by its fingerprint (hosts.ak_name): never bound again to any host,
-- whatever an admin allows. Kept forever; nothing deletes from it.
CREATE TABLE revoked_aks (
  ak_name BYTEA PRIMARY KEY NOT NULL,
  host_id TEXT NOT NULL,
  revoked_at_us BIGINT NOT NULL,
  revoked_by TEXT NOT NULL,
  reason TEXT NOT NULL
);

-- The AKs of the hosts revoked before this version.
INSERT INTO revoked_aks (ak_name, host_id, revoked_at_us, revoked_by, reason)
SELECT ak_name, host_id, status_changed_at_us, status_changed_by, status_reason
FROM hosts WHERE status = 'revoked' AND octet_length(ak_name) > 0;
