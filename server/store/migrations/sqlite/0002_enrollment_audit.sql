-- bootgated schema version 2 (SQLite): EK-based enrollment, AK revocation, the audit log. Keep in
-- step with postgresql/0002_enrollment_audit.sql: same tables, columns and constraints; only the
-- types and the id column differ. Times are microseconds since the Unix epoch.

-- The trust in a host's AK. Hosts of schema 1 were registered by an admin without an EK: they
-- stay active, and their status dates from their registration.
ALTER TABLE hosts ADD COLUMN ek_fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
  CHECK (status IN ('active', 'revoked'));
ALTER TABLE hosts ADD COLUMN status_changed_at_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN status_changed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN reenroll_allowed INTEGER NOT NULL DEFAULT 0
  CHECK (reenroll_allowed IN (0, 1));
ALTER TABLE hosts ADD COLUMN reenroll_allowed_at_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN reenroll_allowed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN reenroll_allowed_reason TEXT NOT NULL DEFAULT '';
UPDATE hosts SET status_changed_at_us = registered_at_us, status_changed_by = registered_by;

-- One TPM speaks for one host: an EK (or, on the AK-certificate path, a certified AK "ak:…") is
-- bound to at most one active host. A revoked host frees it.
CREATE UNIQUE INDEX hosts_one_active_host_per_tpm ON hosts (ek_fingerprint)
  WHERE ek_fingerprint <> '' AND status = 'active';

-- Enrollments waiting for their activation proof: at most one per host. host_id is not a
-- foreign key (the host may not exist yet). Only the SHA-256 of the activation secret is kept.
CREATE TABLE pending_enrollments (
  enrollment_id TEXT PRIMARY KEY NOT NULL,
  host_id TEXT NOT NULL UNIQUE,
  host_group TEXT NOT NULL,
  ek_fingerprint TEXT NOT NULL,
  ak_public BLOB NOT NULL,
  ak_name BLOB NOT NULL,
  secret_sha256 BLOB NOT NULL CHECK (length(secret_sha256) = 32),
  trust_path TEXT NOT NULL,
  created_at_us INTEGER NOT NULL,
  expires_at_us INTEGER NOT NULL,
  requested_by TEXT NOT NULL
);
CREATE INDEX pending_enrollments_by_expiry ON pending_enrollments (expires_at_us);

-- Who did (or tried) what. host_id is not a foreign key: refused requests name unknown hosts.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  host_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX audit_log_by_host ON audit_log (host_id, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
CREATE INDEX audit_log_by_time ON audit_log (at_us);

-- The audit log is append-only: no statement may change or remove a record.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
