// The durable store of bootgated: hosts and the trust in their AK (EK-based enrollment,
// revocation, re-enrollment), enrollments waiting for activation, attestations (verdicts +
// evidence), policy versions, and the audit log.
// Two backends behind one interface, with the same schema and the same test suite:
//   "sqlite:///path/to/bootgate.db"   embedded default: WAL, synchronous=FULL, one file
//   "postgresql://..." / "postgres://..." or a libpq conninfo ("host=... dbname=...")
//       several replicas on one database: synchronous_commit=on, a small connection pool
// A Store is thread-safe: the server calls it from many threads at once.
#ifndef BOOTGATE_SERVER_STORE_STORE_H_
#define BOOTGATE_SERVER_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/store/records.h"

namespace bootgate::server::store {

// What FollowAttestations returns: the feed runs until this object is destroyed.
class AttestationFeed {
 public:
  virtual ~AttestationFeed() = default;
};

// What a feed calls, on a thread of its own.
struct FeedCallbacks {
  std::function<void(int64_t id)> on_recorded;  // an attestation another process committed
  // The feed lost its connection (an error: what was committed meanwhile is not told) or got
  // it back (OK). The store logs nothing itself: the caller says it its own way.
  std::function<void(const absl::Status& link)> on_link;
};

class Store {
 public:
  virtual ~Store() = default;

  // Registers a host (an admin's lab registration). AlreadyExists when host_id is registered and
  // !replace; with replace every field of `host` is written as given (group, AK, registration,
  // EK, status and re-enrollment fields); its history stays. InvalidArgument for an empty
  // host_id or group, or a status other than kHostActive / kHostRevoked.
  virtual absl::Status RegisterHost(const Host& host, bool replace) = 0;
  // NotFound when the host is not registered.
  virtual absl::StatusOr<Host> GetHost(const std::string& host_id) = 0;
  // The host with its AK's highest accepted clock info (HighestClockInfo of its ak_name) and its
  // open rollbacks (OpenRollbacks), in one statement: Attest's reads, one round trip.
  // NotFound when it is not registered.
  virtual absl::StatusOr<HostForAttest> GetHostForAttest(const std::string& host_id) = 0;
  // Every registered host, ordered by host_id.
  virtual absl::StatusOr<std::vector<Host>> ListHosts() = 0;

  // Stores an enrollment waiting for activation, replacing any other pending one of the same
  // host; pending enrollments that expired before p.created_at are dropped on the way.
  // InvalidArgument for an empty enrollment_id, host_id or ek_fingerprint, or a secret_sha256
  // that is not 32 bytes. AlreadyExists when enrollment_id is taken by another host's enrollment.
  virtual absl::Status PutPendingEnrollment(const PendingEnrollment& p) = 0;
  // Removes and returns the pending enrollment `enrollment_id` (single use, across replicas: a
  // second call is NotFound). NotFound also when it expired (now >= expires_at), and it is
  // removed then too.
  virtual absl::StatusOr<PendingEnrollment> TakePendingEnrollment(const std::string& enrollment_id,
                                                                  absl::Time now) = 0;
  // Binds `host` (from a completed enrollment: host_id, group, ak_public, ak_name,
  // ek_fingerprint, trust_path, registered_at/by) in one transaction that concurrent enrollments
  // on any replica serialise on. One TPM speaks for one host: FailedPrecondition ("this TPM (EK
  // sha256 ab12…) is already enrolled as host \"Y\": …") while another active host holds
  // ek_fingerprint (a revoked host frees it; a unique index backs this across replicas).
  // Otherwise allowed when the host does not exist, or it is active and bound
  // to the same ek_fingerprint (AK rotation by the same TPM), or an admin allowed re-enrollment.
  // Otherwise FailedPrecondition: "host \"X\" is bound to another TPM (EK sha256 ab12…); an
  // admin must allow re-enrollment" (or "... is revoked; ...", or "... was registered by an
  // admin, not through an EK; ..."). On success the host is active, the re-enrollment
  // allowance is used up (reenroll_allowed false, its fields cleared), status_changed_at/by are
  // registered_at/by and status_reason says which of the three cases it was (and who allowed a
  // re-enrollment); its attestations stay. Using an admin's allowance also closes the host's
  // open rollbacks (ClearRollbacks, by "re-enrollment allowed by <who>"). InvalidArgument for an
  // empty host_id, group or ek_fingerprint.
  virtual absl::Status BindEnrolledHost(const Host& host) = 0;
  // The judgment BindEnrolledHost(host) would make now, without binding or locking anything:
  // OK or its FailedPrecondition / InvalidArgument. A pre-check (Enrollment.Start refuses early);
  // BindEnrolledHost decides.
  virtual absl::Status CheckBinding(const Host& host) = 0;
  // Marks the host revoked (its AK is no longer trusted) with by/reason/at as its status change,
  // withdraws a re-enrollment an admin had allowed, and adds its AK to the revoked AKs for good
  // (RevokedAkInfo), in one transaction. NotFound for an unknown host;
  // FailedPrecondition if it is already revoked.
  virtual absl::Status RevokeHost(const std::string& host_id, const std::string& by,
                                  const std::string& reason, absl::Time at) = 0;
  // Lets the next enrollment of host_id replace its binding (another TPM, or after revocation),
  // recording by/reason/at as reenroll_allowed_by/reason/at. The host's status (and who revoked
  // it, why) is unchanged until that enrollment. NotFound for an unknown host.
  virtual absl::Status AllowReenroll(const std::string& host_id, const std::string& by,
                                     const std::string& reason, absl::Time at) = 0;

  // The revocation of ak_name (a fingerprint, Host.ak_name), nullopt when it was never revoked.
  // A revoked AK is never bound again: BindEnrolledHost and CheckBinding refuse it for any
  // host with FailedPrecondition "AK sha256 ab12… was revoked (host \"X\", by Y at T: reason)
  // and is never bound again: enroll a new AK".
  virtual absl::StatusOr<std::optional<RevokedAk>> RevokedAkInfo(const std::string& ak_name) = 0;

  // Stores one attestation atomically and returns its id. Returns only after the record is
  // committed (durably, per DurabilitySettings); concurrent calls share one transaction (group
  // commit). The event log is stored once per distinct log (by SHA-256, zlib-compressed), shared
  // by every attestation that carries the same bytes; reads return exactly those bytes.
  // AlreadyExists when record.token_id was used before, by any replica: each token is
  // accepted once. FailedPrecondition when the host is not registered. InvalidArgument for an
  // empty host_id or token_id, or an event log above StoreOptions::max_event_log_bytes. Aborted
  // when record.only_if_latest is set and is no longer the host's latest attestation. Other
  // failures: Unavailable / Internal, and nothing is stored.
  virtual absl::StatusOr<int64_t> RecordAttestation(const Attestation& record) = 0;
  // Calls `on_recorded` with the id of every attestation another process commits to this store
  // from now on, until the feed is destroyed: how one replica learns what another recorded.
  // PostgreSQL: LISTEN/NOTIFY, sent inside the recording transaction and so delivered at its
  // commit; lost while the listener reconnects (`on_link` tells). nullptr for SQLite (one
  // process owns the file). Unavailable when it cannot start.
  virtual absl::StatusOr<std::unique_ptr<AttestationFeed>> FollowAttestations(
      FeedCallbacks callbacks) = 0;
  // Reads "with evidence" return DataLoss when a stored event log does not decode to the bytes
  // its SHA-256 names (or is larger than StoreOptions::max_event_log_bytes).
  // The host's most recent attestation, with evidence. NotFound when it has none.
  virtual absl::StatusOr<Attestation> LatestAttestation(const std::string& host_id) = 0;
  // The host's most recent attestation without its evidence (the verdict: what placement and
  // host listings need), nullopt when it has none. One statement: the host's key and the
  // attestations' (host_id, id) index. NotFound when the host is not registered.
  virtual absl::StatusOr<std::optional<Attestation>> LatestVerdict(const std::string& host_id) = 0;
  // Attestation `id` without its evidence while it is its host's latest (what a replica
  // publishes of another's record); nullopt when a newer one of its host is stored or there is
  // no attestation `id` (retention removed it). One statement, by keys.
  virtual absl::StatusOr<std::optional<Attestation>> VerdictIfLatest(int64_t id) = 0;
  // One attestation with evidence. NotFound for an unknown id.
  virtual absl::StatusOr<Attestation> GetAttestation(int64_t id) = 0;
  // The attestation recorded under `token_id` (its public id), with evidence. NotFound if none.
  virtual absl::StatusOr<Attestation> GetAttestationByToken(const std::string& token_id) = 0;
  // Attestations matching `filter`, newest first, one page at a time.
  // InvalidArgument for a malformed page token or a negative page size.
  virtual absl::StatusOr<AttestationPage> ListAttestations(const AttestationFilter& filter) = 0;

  // Eligibility notifications (StoreOptions::notification_urls; records.h Notification).
  // Writes `event` once per URL while `event.attestation_id` is still its host's latest
  // attestation; an event id already written (by any replica) is not written again. Returns
  // how many rows it wrote.
  virtual absl::StatusOr<int> AddNotificationIfLatest(const Notification& event) = 0;
  // Up to `max` undelivered notifications due at `now`, oldest first, each claimed for this
  // caller until `now + lease`: no other caller (replica) gets them before then.
  virtual absl::StatusOr<std::vector<Notification>> ClaimNotifications(absl::Time now,
                                                                       absl::Duration lease,
                                                                       int max) = 0;
  // After a POST: delivered (`error` empty) at `now`, or tried once more, due again at
  // `retry_at` and released.
  virtual absl::Status FinishNotification(int64_t id, absl::Time now, const std::string& error,
                                          absl::Time retry_at) = 0;
  // Undelivered notifications, for the metrics.
  virtual absl::StatusOr<int64_t> PendingNotifications() = 0;
  // Every registered host counted by group and by whether its latest verdict makes it
  // eligible at `now` (eligible and unexpired; never attested: not eligible). One pass over the
  // hosts, each latest verdict found by its index.
  virtual absl::StatusOr<std::vector<GroupEligibility>> CountHostsByEligibility(absl::Time now) = 0;

  // Stores a policy version and returns its version number: policy.version == 0 assigns the
  // next version of policy.name; otherwise that exact version, AlreadyExists if it is taken.
  // InvalidArgument for an empty name or a negative version.
  virtual absl::StatusOr<int64_t> PutPolicy(const PolicyVersion& policy) = 0;
  // The given version of a policy, or its latest when version is nullopt. NotFound if absent.
  virtual absl::StatusOr<PolicyVersion> GetPolicy(const std::string& name,
                                                  std::optional<int64_t> version) = 0;

  // Appends an audit record and returns its id (increasing). Committed before it returns, in its
  // own transaction (not the attestations' group commit). InvalidArgument for an empty action or
  // an outcome other than "ok", "denied" or "refused".
  virtual absl::StatusOr<int64_t> AppendAudit(const AuditRecord& record) = 0;
  // Audit records matching `filter`, newest first, one page at a time.
  // InvalidArgument for a malformed page token or a negative page size.
  virtual absl::StatusOr<AuditPage> ListAudit(const AuditFilter& filter) = 0;

  // The highest clock info ever accepted from ak_name, nullopt if none: (resetCount,
  // restartCount, clock) compared in that order. RecordAttestation of a record with a non-empty
  // ak_name raises it in the same transaction (never lowers it); retention never touches it.
  virtual absl::StatusOr<std::optional<ClockInfo>> HighestClockInfo(const std::string& ak_name) = 0;
  // Stores a caught rollback (open) and returns its id. InvalidArgument for an empty host_id
  // or code.
  virtual absl::StatusOr<int64_t> RecordRollback(const TpmRollback& rollback) = 0;
  // The host's open rollbacks, oldest first (empty when none).
  virtual absl::StatusOr<std::vector<TpmRollback>> OpenRollbacks(const std::string& host_id) = 0;
  // Closes every open rollback of host_id with by/reason/at and forgets the highest clock info
  // of the host's AKs (the next accepted quote is the new baseline), in one transaction.
  // Returns the rollbacks it closed; FailedPrecondition when none was open. BindEnrolledHost
  // does the same when it uses an admin's re-enrollment allowance.
  virtual absl::StatusOr<std::vector<TpmRollback>> ClearRollbacks(const std::string& host_id,
                                                                  const std::string& by,
                                                                  const std::string& reason,
                                                                  absl::Time at) = 0;

  // Deletes, for every host, the attestations `policy` does not keep as of `now` (RetentionPolicy
  // says which), then every stored event log no attestation references any more. Never touches
  // hosts, TPM counters, rollbacks, revoked AKs, policies or the audit log. One short transaction
  // per host, so attestations are recorded meanwhile; safe to run on several replicas at once.
  virtual absl::StatusOr<RetentionResult> ApplyRetention(const RetentionPolicy& policy,
                                                         absl::Time now) = 0;

  // The effective durability settings, read back from the database.
  virtual absl::StatusOr<DurabilitySettings> Durability() = 0;
  // Checks the database's consistency (SQLite: PRAGMA integrity_check and foreign_key_check;
  // PostgreSQL: referential and uniqueness invariants; both: host status and pending-enrollment
  // invariants). DataLoss naming the problem if any.
  virtual absl::Status CheckIntegrity() = 0;
  // The schema version the database is at (the newest migration this build knows).
  virtual int64_t SchemaVersion() const = 0;
  // Group-commit counters since open.
  virtual WriteStats write_stats() const = 0;
};

// The refusal of a revoked AK, for any host: "AK sha256 ab12… was revoked (host \"X\", by Y at
// T: reason) and is never bound again: enroll a new AK" (the agent makes a new AK on "never
// bound again").
std::string RevokedAkMessage(const RevokedAk& revoked);

struct StoreOptions {
  int pool_size = 8;   // connections; for SQLite, readers share them with the one writer
  int max_batch = 64;  // most attestations one group-commit transaction carries
  // The largest event log stored, and the bound of every decompression of a stored one
  // (bootgated: limits.max_event_log_bytes).
  int64_t max_event_log_bytes = 16 * 1024 * 1024;
  // Eligibility notifications (bootgated: notifications.urls): when set, RecordAttestation also
  // writes, in the same transaction, one notification per URL for a verdict that changes its
  // host's eligibility (eligible and unexpired before vs after) or is a revocation.
  std::vector<std::string> notification_urls;
};

// Opens (creating if needed) the store at `url` and migrates its schema to the newest version.
// InvalidArgument for an unsupported URL (or "postgresql" in a build without BOOTGATE_POSTGRES);
// Unavailable when the database cannot be reached or opened; FailedPrecondition when its schema
// is newer than this build knows ("database schema version 7 is newer than this bootgated knows
// (1): upgrade bootgated").
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url,
                                                 const StoreOptions& options = {});

}  // namespace bootgate::server::store

#endif  // BOOTGATE_SERVER_STORE_STORE_H_
