-- bootgated schema version 6 (PostgreSQL): eligibility notifications. Keep in step with
-- sqlite/0006_notifications.sql: same tables, columns and constraints; only the types differ.
-- Times are microseconds since the Unix epoch.

-- The outbox of eligibility notifications (server/bootgated/notifier.h): one row per event and
-- configured URL, written in the transaction that records the verdict which changed a host's
-- eligibility (or by the replica whose timer saw an eligible verdict expire), so that no change
-- is lost between the commit and the POST. A replica claims due rows for a while
-- (claimed_until) before it sends them: one replica sends each, another takes over when it
-- dies. Delivered rows stay, with delivered_at_us, as the record of what was sent.
CREATE TABLE notifications (
  id BIGSERIAL PRIMARY KEY,
  event_id TEXT NOT NULL,      -- stable across retries and replicas: "verdict-<id>", "expired-<id>"
  url TEXT NOT NULL,
  kind TEXT NOT NULL,          -- eligible | ineligible | revoked | expired
  host_id TEXT NOT NULL,
  attestation_id TEXT NOT NULL,
  eligible BOOLEAN NOT NULL,      -- the host's eligibility after the event
  occurred_at_us BIGINT NOT NULL,
  jwt TEXT NOT NULL,           -- the verdict's signed EAR
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_us BIGINT NOT NULL,
  claimed_until_us BIGINT NOT NULL DEFAULT 0,
  delivered_at_us BIGINT,
  last_error TEXT NOT NULL DEFAULT '',
  UNIQUE (event_id, url)
);
CREATE INDEX notifications_due ON notifications (next_attempt_us) WHERE delivered_at_us IS NULL;
