-- bootgated schema version 1 (SQLite). Keep in step with postgresql/0001_initial.sql: same
-- tables, columns and constraints; only the types and the id column differ.
-- Times are microseconds since the Unix epoch. TPM clock (uint64) is stored bit-cast to int64.
CREATE TABLE hosts (
  host_id TEXT PRIMARY KEY NOT NULL,
  host_group TEXT NOT NULL,
  ak_public BLOB NOT NULL,
  ak_name BLOB NOT NULL,
  registered_at_us INTEGER NOT NULL,
  registered_by TEXT NOT NULL,
  trust_path TEXT NOT NULL
);
CREATE INDEX hosts_by_group ON hosts (host_group);

CREATE TABLE attestations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id TEXT NOT NULL REFERENCES hosts (host_id),
  host_group TEXT NOT NULL,
  received_at_us INTEGER NOT NULL,
  -- Single use of challenge tokens across every replica.
  token_id BLOB NOT NULL UNIQUE,
  tier TEXT NOT NULL,
  placement_eligible INTEGER NOT NULL CHECK (placement_eligible IN (0, 1)),
  policy_name TEXT NOT NULL,
  policy_version INTEGER NOT NULL,
  expires_at_us INTEGER NOT NULL,
  verdict_jwt TEXT NOT NULL,
  findings_json TEXT NOT NULL,
  ak_name BLOB NOT NULL,
  quote_msg BLOB NOT NULL,
  quote_sig BLOB NOT NULL,
  quote_pcrs BLOB NOT NULL,
  event_log BLOB NOT NULL,
  tpm_clock INTEGER NOT NULL,
  reset_count INTEGER NOT NULL,
  restart_count INTEGER NOT NULL
);
CREATE INDEX attestations_by_host ON attestations (host_id, id);
CREATE INDEX attestations_by_group ON attestations (host_group, id);
CREATE INDEX attestations_by_time ON attestations (received_at_us);
CREATE INDEX attestations_by_host_ak ON attestations (host_id, ak_name, id);

CREATE TABLE policies (
  name TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version > 0),
  text TEXT NOT NULL,
  created_at_us INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (name, version)
);
