// Plain records kept by the bootgated store: hosts and the trust in their AK (enrollment,
// revocation), enrollments waiting for their activation proof, attestations with their verdicts
// and evidence, versioned policies, and the audit log. No protobuf: the server converts at its
// edge.
#ifndef BOOTGATE_SERVER_STORE_RECORDS_H_
#define BOOTGATE_SERVER_STORE_RECORDS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace bootgate::server::store {

// Host::trust_path values: how the store came to trust the host's AK.
inline constexpr char kTrustPathAdminRegistered[] = "admin-registered";
inline constexpr char kTrustPathEnrolled[] = "enrolled";
inline constexpr char kTrustPathAkCertificate[] = "ak-certificate";

// Host::status values: whether attestations signed by the host's AK are trusted.
inline constexpr char kHostActive[] = "active";
inline constexpr char kHostRevoked[] = "revoked";

// A host and the one AK attestations of it are checked with. Byte fields hold raw bytes.
// Times are kept to the microsecond.
struct Host {
  std::string host_id;
  std::string group;
  std::string ak_public;  // the AK public key as registered (PEM or TPM2B_PUBLIC bytes)
  std::string ak_name;    // AkFingerprint of ak_public (hex SHA-256 of its SPKI)
  absl::Time registered_at = absl::UnixEpoch();
  std::string registered_by;
  std::string trust_path = kTrustPathAdminRegistered;
  std::string ek_fingerprint;  // hex SHA-256 of the EK's SPKI; "" when not enrolled through an EK
  std::string status = kHostActive;  // kHostActive | kHostRevoked
  // The last change of status: the binding by an enrollment, or a revocation.
  absl::Time status_changed_at = absl::UnixEpoch();
  std::string status_changed_by;  // who revoked (or re-enabled by enrolling)
  std::string status_reason;      // why
  bool reenroll_allowed = false;  // an admin allowed the next enrollment to replace the binding
  // Who allowed it, when and why; empty / epoch unless reenroll_allowed (cleared when an
  // enrollment uses the allowance or a revocation withdraws it).
  absl::Time reenroll_allowed_at = absl::UnixEpoch();
  std::string reenroll_allowed_by;
  std::string reenroll_allowed_reason;
};

// An enrollment waiting for its activation proof. The activation secret itself is never stored:
// only its SHA-256.
struct PendingEnrollment {
  std::string enrollment_id;  // random, hex; the key
  std::string host_id;
  std::string group;
  std::string ek_fingerprint;
  std::string ak_public;      // TPM2B_PUBLIC bytes
  std::string ak_name;        // stored the same way Host::ak_name is
  std::string secret_sha256;  // raw 32 bytes
  std::string trust_path;     // what Host.trust_path becomes when it completes
  absl::Time created_at = absl::UnixEpoch();
  absl::Time expires_at = absl::UnixEpoch();
  std::string requested_by;
};

// The evidence an attestation was judged on, as the agent sent it.
struct AttestationEvidence {
  std::string quote_msg;   // TPMS_ATTEST
  std::string quote_sig;   // TPMT_SIGNATURE
  std::string quote_pcrs;  // optional PCR values
  std::string event_log;
};

// TPMS_CLOCK_INFO fields of a quote. The store keeps the highest ever accepted per AK
// (Store::HighestClockInfo): resetCount / restartCount (or, within one of them, a safe clock)
// below it is a rollback.
struct ClockInfo {
  uint64_t clock = 0;
  uint32_t reset_count = 0;
  uint32_t restart_count = 0;
};

// An AK that was revoked (RevokeHost), by its fingerprint: never bound again to any host.
struct RevokedAk {
  std::string ak_name;
  std::string host_id;  // the host it was revoked with
  absl::Time revoked_at = absl::UnixEpoch();
  std::string revoked_by;
  std::string reason;
};

// A TPM rollback bootgated caught: open (cleared_at epoch) until an admin acknowledges it or an
// admin-allowed re-enrollment binds the host again.
struct TpmRollback {
  int64_t id = 0;  // assigned by RecordRollback
  std::string host_id;
  std::string ak_name;  // the AK whose quote went back
  absl::Time detected_at = absl::UnixEpoch();
  std::string code;     // the finding: reset-count-decreased, restart-count-decreased, ...
  std::string seen;     // the quote's counters
  std::string allowed;  // the baseline they went below
  absl::Time cleared_at = absl::UnixEpoch();
  std::string cleared_by;
  std::string cleared_reason;
};

// What Attest reads of a host before judging its quote (Store::GetHostForAttest): the highest
// clock info its AK (Host::ak_name) ever had accepted, nullopt if none, and its open
// rollbacks, oldest first.
struct RollbackState {
  std::optional<ClockInfo> highest;
  std::vector<TpmRollback> open;
};
struct HostForAttest {
  Host host;
  RollbackState rollback;
};

// One stored attestation: an attributable request (known host, valid token) with its verdict.
struct Attestation {
  int64_t id = 0;  // assigned by the store on RecordAttestation; increases with insertion
  std::string host_id;
  std::string group;  // the host's group when it attested (history keeps it if the host moves)
  absl::Time received_at = absl::UnixEpoch();
  // The challenge token's unique id. Unique in the store: this is the single-use guarantee,
  // shared by every replica on the same database.
  std::string token_id;
  std::string tier;  // "affirming" | "warning" | "contraindicated"
  bool placement_eligible = false;
  std::string policy_name;
  int64_t policy_version = 0;
  absl::Time expires_at = absl::UnixEpoch();
  std::string verdict_jwt;
  std::string findings_json;
  std::string ak_name;  // the AK that signed the quote; non-empty raises its HighestClockInfo
  AttestationEvidence evidence;
  ClockInfo clock_info;
  // A re-appraisal of stored evidence sets this to the attestation it judged again: the record
  // is stored only while that is still the host's latest (checked inside the write
  // transaction, else ABORTED and nothing stored), so a verdict on older evidence never
  // overtakes one on newer evidence that committed meanwhile.
  std::optional<int64_t> only_if_latest;
  // The server's own verdict on a revoked host (ak-revoked): notified as kind "revoked" even
  // when the host's eligibility does not change (StoreOptions::notification_urls).
  bool revocation = false;
};

// How many registered hosts of one group are eligible, or not (CountHostsByEligibility).
struct GroupEligibility {
  std::string group;  // the group of the host's latest verdict, else the one it was registered in
  bool eligible = false;
  int64_t hosts = 0;
};

// One eligibility notification to one URL (the notifications outbox): what a host's
// eligibility became and the verdict that says so.
struct Notification {
  int64_t id = 0;
  // Stable across retries and replicas: "verdict-<attestation id>" (a recorded verdict that
  // changed the host's eligibility, or a revocation), "expired-<attestation id>" (an eligible
  // verdict that passed its expiry while still the host's latest).
  std::string event_id;
  std::string url;
  std::string kind;  // "eligible" | "ineligible" | "revoked" | "expired"
  std::string host_id;
  std::string attestation_id;  // the verdict's (Attestation::token_id)
  bool eligible = false;       // the host's eligibility after the event
  absl::Time occurred_at = absl::UnixEpoch();
  std::string jwt;   // the verdict's signed EAR
  int attempts = 0;  // POSTs tried before this one
};

// One version of a named policy. Versions start at 1 and are never rewritten.
struct PolicyVersion {
  std::string name;
  int64_t version = 0;
  std::string text;
  absl::Time created_at = absl::UnixEpoch();
  std::string created_by;
};

// ListAttestations filter. Empty strings match everything; the time range is
// since <= received_at < until. Results are newest first (by id).
struct AttestationFilter {
  std::string host_id;
  std::string group;
  std::string tier;
  absl::Time since = absl::InfinitePast();
  absl::Time until = absl::InfiniteFuture();
  int page_size = 0;              // 0 = kDefaultPageSize; capped at kMaxPageSize
  std::string page_token;         // from the previous page's next_page_token; empty = first page
  bool include_evidence = false;  // evidence blobs are large; History.Get wants them, List not

  static constexpr int kDefaultPageSize = 50;
  static constexpr int kMaxPageSize = 1000;
};

struct AttestationPage {
  std::vector<Attestation> attestations;
  std::string next_page_token;  // empty when this is the last page
};

// One audit record: who did (or tried) what, to which host, with what outcome and why.
struct AuditRecord {
  int64_t id = 0;  // assigned by the store on AppendAudit; increases with insertion
  absl::Time at = absl::UnixEpoch();
  std::string actor;    // certificate CN or "local"
  std::string role;     // "agent" | "placement" | "operator" | "admin" | "local" | ""
  std::string action;   // "policy.put", "exception.grant", "host.revoke", "enroll.finish", ...
  std::string host_id;  // "" when not about one host
  std::string outcome;  // "ok" | "denied" | "refused"
  std::string reason;   // the caller's stated reason, or why it was refused
  std::string details;  // free text (JSON or key=value) with specifics
};

// ListAudit filter. Empty strings match everything (otherwise exact match); the time range is
// since <= at < until. Results are newest first (by id), paged like AttestationFilter.
struct AuditFilter {
  std::string host_id;
  std::string actor;
  std::string action;
  std::string outcome;
  absl::Time since = absl::InfinitePast();
  absl::Time until = absl::InfiniteFuture();
  int page_size = 0;       // 0 = kDefaultPageSize; capped at kMaxPageSize
  std::string page_token;  // from the previous page's next_page_token; empty = first page

  static constexpr int kDefaultPageSize = 50;
  static constexpr int kMaxPageSize = 1000;
};

struct AuditPage {
  std::vector<AuditRecord> records;
  std::string next_page_token;  // empty when this is the last page
};

// What the database says its durability settings are, read back after they were set.
struct DurabilitySettings {
  std::string backend;  // "sqlite" | "postgresql"
  // sqlite: journal_mode ("wal"), synchronous ("2" = FULL), foreign_keys ("1"), busy_timeout (ms).
  // postgresql: synchronous_commit ("on"), fsync ("on").
  std::map<std::string, std::string> values;
  bool durable = false;  // every committed transaction survives a crash / power loss
};

// Which attestations Store::ApplyRetention keeps, per host. An attestation is deleted only when
// it is beyond the host's newest keep_last AND received more than keep_for before `now`, and it is
// none of the host's latest attestation, latest affirming one, latest contraindicated one.
// 0 (either field) keeps every attestation: nothing is deleted.
struct RetentionPolicy {
  int64_t keep_last = 100;
  absl::Duration keep_for = absl::Hours(24 * 30);
};

// What one Store::ApplyRetention deleted.
struct RetentionResult {
  int64_t hosts = 0;         // hosts that lost attestations
  int64_t attestations = 0;  // attestations deleted
  int64_t event_logs = 0;    // stored event logs deleted (no attestation referenced them any more)
};

// Group-commit counters of the attestation write path.
struct WriteStats {
  int64_t batches = 0;  // transactions committed by the batcher
  int64_t records = 0;  // records those transactions carried
};

}  // namespace bootgate::server::store

#endif  // BOOTGATE_SERVER_STORE_RECORDS_H_
