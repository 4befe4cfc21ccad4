-- bootgated schema version 5 (PostgreSQL): each distinct event log stored once. Keep in step with
-- sqlite/0005_evidence_logs.sql: same tables, columns and constraints; only the types differ.

-- Event logs by the SHA-256 of their bytes, zlib-compressed (codec), with their size before
-- compression (the bound of the decompression). Attestations reference them; retention deletes
-- the logs no attestation references any more.
CREATE TABLE evidence_logs (
  digest BYTEA PRIMARY KEY NOT NULL CHECK (octet_length(digest) = 32),
  codec TEXT NOT NULL CHECK (codec IN ('zlib')),
  raw_size BIGINT NOT NULL CHECK (raw_size > 0),
  data BYTEA NOT NULL
);
-- Already compressed: out of line without PostgreSQL trying its own compression on it.
ALTER TABLE evidence_logs ALTER COLUMN data SET STORAGE EXTERNAL;

-- NULL: the attestation came without a log.
ALTER TABLE attestations ADD COLUMN event_log_digest BYTEA REFERENCES evidence_logs (digest);
CREATE INDEX attestations_by_event_log ON attestations (event_log_digest);

-- Then, in this migration's transaction, bootgated moves every row's event_log into
-- evidence_logs, sets event_log_digest, and drops attestations.event_log (SHA-256 and zlib are
-- not SQL: MoveEventLogsToEvidenceLogs in server/store/evidence_log.cc).
