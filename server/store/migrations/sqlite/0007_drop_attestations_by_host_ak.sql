-- bootgated schema version 7 (SQLite): attestations_by_host_ak goes. Keep in step with
-- postgresql/0007_drop_attestations_by_host_ak.sql.
-- It served the AK's latest counters (host_id, ak_name, newest id), which tpm_counters has held
-- since schema 3; no statement reads attestations by AK any more. Each attestation paid one more
-- index entry for it, at a random place of the index in a fleet (every host its own AK).
DROP INDEX attestations_by_host_ak;
