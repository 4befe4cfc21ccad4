// Store implemented once over SqlConnection, for both backends: the same statements (parameters
// $1, $2, ...), a connection pool, the group-commit writer for attestations, and plain write
// transactions for enrollment, revocation and the audit log.
#ifndef BOOTGATE_SERVER_STORE_SQL_STORE_H_
#define BOOTGATE_SERVER_STORE_SQL_STORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "server/store/batcher.h"
#include "server/store/connection_pool.h"
#include "server/store/evidence_log.h"
#include "server/store/store.h"
#include "verifier/cache/bounded_cache.h"

namespace bootgate::server::store::internal {

class ChunkedSql;  // sql_store.cc: one statement text per chunk size

// Each host `h` with its latest attestation `a` (a's columns NULL when it has none), one lookup
// in the attestations' (host_id, id) index per host: LatestVerdict, VerdictIfLatest,
// CountHostsByEligibility.
inline constexpr char kHostsWithLatestAttestation[] =
    " FROM hosts h LEFT JOIN attestations a ON a.id ="
    " (SELECT MAX(id) FROM attestations WHERE host_id = h.host_id)";

// An attestation on its way to the group commit, its event log hashed (and compressed, unless it
// is stored already) in the caller's thread rather than inside the batch's transaction.
struct PendingAttestation {
  const Attestation* record = nullptr;
  std::optional<EncodedLog> log;  // nullopt: the attestation has no event log
};

class SqlStore final : public Store {
 public:
  // How FollowAttestations starts a feed on this database; empty: it has none (SQLite).
  using FeedFactory =
      std::function<absl::StatusOr<std::unique_ptr<AttestationFeed>>(FeedCallbacks)>;

  // `factory` opens connections to a database already migrated to `schema_version`. With
  // `group_reads` (the dialect's), concurrent host reads go together (see host_reads_).
  SqlStore(ConnectionPool::Factory factory, const StoreOptions& options, int64_t schema_version,
           bool group_reads, FeedFactory feeds = nullptr);

  absl::Status RegisterHost(const Host& host, bool replace) override;
  absl::StatusOr<Host> GetHost(const std::string& host_id) override;
  absl::StatusOr<std::vector<Host>> ListHosts() override;
  absl::Status PutPendingEnrollment(const PendingEnrollment& p) override;
  absl::StatusOr<PendingEnrollment> TakePendingEnrollment(const std::string& enrollment_id,
                                                          absl::Time now) override;
  absl::Status CheckBinding(const Host& host) override;
  absl::Status BindEnrolledHost(const Host& host) override;
  absl::Status RevokeHost(const std::string& host_id, const std::string& by,
                          const std::string& reason, absl::Time at) override;
  absl::Status AllowReenroll(const std::string& host_id, const std::string& by,
                             const std::string& reason, absl::Time at) override;
  absl::StatusOr<int64_t> RecordAttestation(const Attestation& record) override;
  absl::StatusOr<std::unique_ptr<AttestationFeed>> FollowAttestations(
      FeedCallbacks callbacks) override;
  absl::StatusOr<Attestation> LatestAttestation(const std::string& host_id) override;
  absl::StatusOr<std::optional<Attestation>> LatestVerdict(const std::string& host_id) override;
  absl::StatusOr<std::optional<Attestation>> VerdictIfLatest(int64_t id) override;
  absl::StatusOr<Attestation> GetAttestation(int64_t id) override;
  absl::StatusOr<Attestation> GetAttestationByToken(const std::string& token_id) override;
  absl::StatusOr<AttestationPage> ListAttestations(const AttestationFilter& filter) override;
  absl::StatusOr<int64_t> PutPolicy(const PolicyVersion& policy) override;
  absl::StatusOr<PolicyVersion> GetPolicy(const std::string& name,
                                          std::optional<int64_t> version) override;
  absl::StatusOr<int64_t> AppendAudit(const AuditRecord& record) override;
  absl::StatusOr<AuditPage> ListAudit(const AuditFilter& filter) override;
  absl::StatusOr<std::optional<RevokedAk>> RevokedAkInfo(const std::string& ak_name) override;
  absl::StatusOr<std::optional<ClockInfo>> HighestClockInfo(const std::string& ak_name) override;
  absl::StatusOr<int64_t> RecordRollback(const TpmRollback& rollback) override;
  absl::StatusOr<std::vector<TpmRollback>> OpenRollbacks(const std::string& host_id) override;
  absl::StatusOr<HostForAttest> GetHostForAttest(const std::string& host_id) override;
  absl::StatusOr<std::vector<TpmRollback>> ClearRollbacks(const std::string& host_id,
                                                          const std::string& by,
                                                          const std::string& reason,
                                                          absl::Time at) override;
  absl::StatusOr<RetentionResult> ApplyRetention(const RetentionPolicy& policy,
                                                 absl::Time now) override;
  absl::StatusOr<int> AddNotificationIfLatest(const Notification& event) override;
  absl::StatusOr<std::vector<Notification>> ClaimNotifications(absl::Time now, absl::Duration lease,
                                                               int max) override;
  absl::Status FinishNotification(int64_t id, absl::Time now, const std::string& error,
                                  absl::Time retry_at) override;
  absl::StatusOr<int64_t> PendingNotifications() override;
  absl::StatusOr<std::vector<GroupEligibility>> CountHostsByEligibility(absl::Time now) override;
  absl::StatusOr<DurabilitySettings> Durability() override;
  absl::Status CheckIntegrity() override;
  int64_t SchemaVersion() const override { return schema_version_; }
  WriteStats write_stats() const override { return attestation_writes_.stats(); }

 private:
  // Runs one statement on a pooled connection (autocommit).
  absl::StatusOr<std::vector<SqlRow>> Query(std::string_view sql, std::span<const SqlParam> params);
  // Reads `ids`, each distinct one once, a chunk of keys per statement of `sql`; `take` files
  // each row found (by host id). Returns the first failed statement's error.
  absl::Status ReadChunks(const ChunkedSql& sql, std::span<const std::string* const> ids,
                          absl::FunctionRef<void(const SqlRow&)> take);
  // The hosts `ids` name, a chunk of ids per statement; one result per id, in order: the host
  // (with its AK's counters and open rollbacks), or NotFound.
  std::vector<absl::StatusOr<Host>> ReadHosts(std::span<const std::string* const> ids);
  std::vector<absl::StatusOr<HostForAttest>> ReadHostsForAttest(
      std::span<const std::string* const> ids);
  template <typename T>
  using ReadMany =
      std::vector<absl::StatusOr<T>> (SqlStore::*)(std::span<const std::string* const>);
  // One host through `grouped` when reads are grouped, else by `read` alone.
  template <typename T>
  absl::StatusOr<T> ReadOne(Batcher<std::string, T>* grouped, ReadMany<T> read,
                            const std::string& host_id);
  // Runs `body` in one write transaction (dialect().begin_write) on a pooled connection:
  // committed when it returns OK, rolled back otherwise. Returns body's error, or the commit's.
  absl::Status InWriteTransaction(absl::FunctionRef<absl::Status(SqlConnection&)> body);
  // The group-commit body: all records in one transaction, so that one record's failure (an
  // unknown host, a re-appraisal no longer the latest) does not fail the others. A reused
  // token inserts nothing and fails nothing (ON CONFLICT). The batch first runs without a
  // savepoint per record (three statements, round trips on PostgreSQL, fewer a record); when a
  // record fails it is rolled back and run again with them.
  std::vector<absl::StatusOr<int64_t>> CommitBatch(
      std::span<const PendingAttestation* const> records);
  enum class RecordIsolation { kNone, kSavepoints };
  // Returns the per-record results, or an error for the whole transaction (rolled back). With
  // kNone, a record's own failure rolls the batch back and sets `record_failed`.
  absl::StatusOr<std::vector<absl::StatusOr<int64_t>>> TryCommitBatch(
      SqlConnection& conn, std::span<const PendingAttestation* const> records,
      RecordIsolation isolation, bool& record_failed);
  // Stores the batch's logs not stored yet, in digest order (TryCommitBatch's lock order).
  absl::Status PutBatchLogs(SqlConnection& conn,
                            std::span<const PendingAttestation* const> records);
  // Whether the batch's rows may go in multi-row INSERTs (InsertAttestationRows): no record
  // checks something first (a re-appraisal's only_if_latest), no notification needs each
  // host's eligibility before its row.
  bool RowsGoTogether(std::span<const PendingAttestation* const> records) const;
  // Inserts the records' rows (their logs stored already) a chunk of rows per statement,
  // appending one result per record to `results`: its id, or AlreadyExists for a reused token.
  // A record's own failure (a host not registered) is the status of the whole call.
  absl::Status InsertAttestationRows(SqlConnection& conn,
                                     std::span<const PendingAttestation* const> records,
                                     std::vector<absl::StatusOr<int64_t>>& results);
  // Inserts one record's row (its log stored already). Returns the new id; nullopt when the
  // token was used before (nothing stored).
  absl::StatusOr<std::optional<int64_t>> InsertAttestation(SqlConnection& conn,
                                                           const PendingAttestation& pending);
  // Raises the counters of the AKs of the records stored (results[i] ok), in AK order.
  absl::Status RaiseBatchCounters(SqlConnection& conn,
                                  std::span<const PendingAttestation* const> records,
                                  const std::vector<absl::StatusOr<int64_t>>& results);
  // The log of `log` ready for the batch: hashed, and compressed unless it is stored already.
  absl::StatusOr<EncodedLog> EncodeLog(const std::string& log);
  // Rows of an attestation query with evidence (kLogColumns last), each log decoded once.
  absl::StatusOr<std::vector<Attestation>> AttestationsFromRows(const std::vector<SqlRow>& rows,
                                                                bool with_evidence);
  // Deletes the attestations of `hosts` (a ChunkRows count of them) that `policy` lets go
  // (ApplyRetention), adding to result's hosts and attestations.
  absl::Status PruneHosts(std::span<const std::string> hosts, const RetentionPolicy& policy,
                          absl::Time now, RetentionResult& result);

  ConnectionPool pool_;
  Batcher<PendingAttestation> attestation_writes_;
  // Grouped reads (null without group_reads): a GetHost (Challenge) or GetHostForAttest (Attest)
  // that finds one of its kind in flight waits and goes in the next query with the others that
  // arrived meanwhile, so it still reads what was committed before it was called. Where every
  // statement is a round trip to another process (PostgreSQL) and two reads per attestation
  // were most of them.
  std::unique_ptr<Batcher<std::string, Host>> host_reads_;
  std::unique_ptr<Batcher<std::string, HostForAttest>> attest_host_reads_;
  const int64_t schema_version_;
  const int64_t max_event_log_bytes_;
  const FeedFactory feeds_;
  const std::vector<std::string> notification_urls_;
  // Digests of the event logs EncodeLog found stored: it looks them up no more (a query per
  // Attest). Hints only: retention may delete such a log, and PutLog, inside the batch, then
  // compresses and stores it again.
  cache::BoundedCache<std::string, bool> stored_logs_{4096};
  // Ids this process recorded, so that its feed passes on only other processes' records (its
  // own are published by its recorder). Bounded: the oldest are forgotten past 4096.
  void RememberOwn(std::span<const absl::StatusOr<int64_t>> results);
  bool ForgetOwn(int64_t id);
  absl::Mutex own_mu_;
  absl::flat_hash_set<int64_t> own_ids_ ABSL_GUARDED_BY(own_mu_);
  std::deque<int64_t> own_order_ ABSL_GUARDED_BY(own_mu_);
};

}  // namespace bootgate::server::store::internal

#endif  // BOOTGATE_SERVER_STORE_SQL_STORE_H_
