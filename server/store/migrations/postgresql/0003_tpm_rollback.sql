-- bootgated schema version 3 (PostgreSQL): TPM rollback detection that survives the attestation
-- rows. Keep in step with sqlite/0003_tpm_rollback.sql: same tables, columns and
-- constraints; only the types and the id column differ. Times are microseconds since the Unix
-- epoch.

-- The highest (resetCount, restartCount, clock) ever accepted from each AK, compared in that
-- order: the rollback baseline. Apart from the attestations and never pruned with them; only an
-- admin's acknowledgement of a rollback or an admin-allowed re-enrollment forgets an AK's row.
CREATE TABLE tpm_counters (
  ak_name BYTEA PRIMARY KEY NOT NULL,
  host_id TEXT NOT NULL,
  reset_count BIGINT NOT NULL,
  restart_count BIGINT NOT NULL,
  tpm_clock BIGINT NOT NULL,
  updated_at_us BIGINT NOT NULL
);
CREATE INDEX tpm_counters_by_host ON tpm_counters (host_id);

-- The baseline of the AKs that already attested: their highest counters so far (the index
-- only serves this one statement).
CREATE INDEX attestations_by_ak_counters
  ON attestations (ak_name, reset_count, restart_count, tpm_clock, id);
INSERT INTO tpm_counters (ak_name, host_id, reset_count, restart_count, tpm_clock, updated_at_us)
SELECT a.ak_name, a.host_id, a.reset_count, a.restart_count, a.tpm_clock, a.received_at_us
FROM attestations a
WHERE octet_length(a.ak_name) > 0 AND NOT EXISTS (
  SELECT 1 FROM attestations b WHERE b.ak_name = a.ak_name AND (
    b.reset_count > a.reset_count OR (b.reset_count = a.reset_count AND (
      b.restart_count > a.restart_count OR (b.restart_count = a.restart_count AND (
        b.tpm_clock > a.tpm_clock OR (b.tpm_clock = a.tpm_clock AND b.id > a.id)))))));
DROP INDEX attestations_by_ak_counters;

-- Rollbacks caught: a host with an open one (cleared_at_us = 0) is contraindicated until an
-- admin acknowledges it or allows a re-enrollment that then happens.
CREATE TABLE tpm_rollbacks (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  host_id TEXT NOT NULL,
  ak_name BYTEA NOT NULL,
  detected_at_us BIGINT NOT NULL,
  code TEXT NOT NULL,
  seen TEXT NOT NULL,
  allowed TEXT NOT NULL,
  cleared_at_us BIGINT NOT NULL DEFAULT 0,
  cleared_by TEXT NOT NULL DEFAULT '',
  cleared_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tpm_rollbacks_by_host ON tpm_rollbacks (host_id, cleared_at_us, id);
