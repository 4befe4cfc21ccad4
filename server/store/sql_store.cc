#include "server/store/sql_store.h"

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "server/store/notification_outbox.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::server::store::internal {
namespace {

constexpr char kHostColumns[] =
    "host_id, host_group, ak_public, ak_name, registered_at_us, registered_by, trust_path,"
    " ek_fingerprint, status, status_changed_at_us, status_changed_by, status_reason,"
    " reenroll_allowed, reenroll_allowed_at_us, reenroll_allowed_by, reenroll_allowed_reason";

constexpr char kPendingColumns[] =
    "enrollment_id, host_id, host_group, ek_fingerprint, ak_public, ak_name, secret_sha256,"
    " trust_path, created_at_us, expires_at_us, requested_by";

constexpr char kAuditColumns[] =
    "id, at_us, actor, role, action, host_id, outcome, reason, details";

constexpr size_t kSecretSha256Size = 32;
// How many characters of an EK fingerprint an error message shows.
constexpr size_t kFingerprintPrefix = 12;

// Attestation columns without the evidence blobs (AttestationFromRow), then the evidence
// (kEvidenceColumns, read FROM kAttestationsWithEvidence: the log joined from evidence_logs).
constexpr char kAttestationColumns[] =
    "id, host_id, host_group, received_at_us, token_id, tier, placement_eligible, policy_name,"
    " policy_version, expires_at_us, verdict_jwt, findings_json, ak_name, tpm_clock, reset_count,"
    " restart_count";
constexpr size_t kQuoteColumn = 16;  // the first evidence column
constexpr size_t kLogColumn = 19;    // the first of kLogColumns
const std::string kEvidenceColumns =
    absl::StrCat(", quote_msg, quote_sig, quote_pcrs, ", kLogColumns);
const std::string kAttestationsWithEvidence = absl::StrCat(" FROM attestations", kLogJoin);

// A batch's rows go into the database in multi-row statements of 1, 2, 4, ... kMaxChunkRows
// rows (13 rows: 8, 4 and 1), one round trip each instead of one per row; a handful of
// statement texts, each prepared once per connection.
constexpr size_t kMaxChunkRows = 64;

// The rows of the next statement when `remaining` rows are left: a power of two.
size_t ChunkRows(size_t remaining) {
  size_t rows = 1;
  while (rows * 2 <= remaining && rows * 2 <= kMaxChunkRows) rows *= 2;
  return rows;
}

}  // namespace

// One statement text per chunk size (ChunkRows values), built once.
class ChunkedSql {
 public:
  explicit ChunkedSql(absl::FunctionRef<std::string(size_t rows)> text) {
    for (size_t rows = 1; rows <= kMaxChunkRows; rows *= 2) texts_.push_back(text(rows));
  }
  // `rows`: a ChunkRows value.
  const std::string& For(size_t rows) const {
    size_t i = 0;
    while ((size_t{1} << i) < rows) ++i;
    return texts_.at(i);
  }

 private:
  std::vector<std::string> texts_;  // [i]: 2^i rows
};

namespace {

// "$first, $first+1, .., $first+count-1"
std::string Placeholders(size_t first, size_t count) {
  std::string list;
  for (size_t i = 0; i < count; ++i) absl::StrAppend(&list, i == 0 ? "$" : ", $", first + i);
  return list;
}

// "INSERT INTO <table_and_columns> VALUES ($1, .., $c), ($c+1, ..), ..<tail>" for `rows` rows of
// `columns` parameters each.
ChunkedSql MultiRowSql(absl::string_view head, size_t columns, absl::string_view tail) {
  return ChunkedSql([&](size_t rows) {
    std::string sql = absl::StrCat("INSERT INTO ", head, " VALUES ");
    for (size_t r = 0; r < rows; ++r) {
      absl::StrAppend(&sql, r == 0 ? "(" : ", (", Placeholders(r * columns + 1, columns), ")");
    }
    return absl::StrCat(sql, tail);
  });
}

// "<head> IN ($first, .., $(first + rows - 1))<tail>": a statement on `rows` keys.
ChunkedSql InListSql(absl::string_view head, absl::string_view tail, size_t first = 1) {
  return ChunkedSql([&](size_t rows) {
    return absl::StrCat(head, " IN (", Placeholders(first, rows), ")", tail);
  });
}

constexpr size_t kAttestationRowColumns = 19;
const ChunkedSql kInsertAttestations = MultiRowSql(
    "attestations (host_id, host_group, received_at_us, token_id, tier, placement_eligible,"
    " policy_name, policy_version, expires_at_us, verdict_jwt, findings_json, ak_name, tpm_clock,"
    " reset_count, restart_count, quote_msg, quote_sig, quote_pcrs, event_log_digest)",
    kAttestationRowColumns,
    // A reused token inserts nothing (and returns no id) instead of aborting the whole batch.
    " ON CONFLICT (token_id) DO NOTHING RETURNING id, token_id");

// Raises AKs' highest accepted counters, never lowers them: (resetCount, restartCount, clock)
// compared in that order. One row per AK in a statement.
constexpr size_t kCounterRowColumns = 6;
const ChunkedSql kRaiseCounters = MultiRowSql(
    "tpm_counters (ak_name, host_id, reset_count, restart_count, tpm_clock, updated_at_us)",
    kCounterRowColumns,
    " ON CONFLICT (ak_name) DO UPDATE SET host_id = excluded.host_id,"
    " reset_count = excluded.reset_count, restart_count = excluded.restart_count,"
    " tpm_clock = excluded.tpm_clock, updated_at_us = excluded.updated_at_us"
    " WHERE excluded.reset_count > tpm_counters.reset_count"
    " OR (excluded.reset_count = tpm_counters.reset_count"
    " AND (excluded.restart_count > tpm_counters.restart_count"
    " OR (excluded.restart_count = tpm_counters.restart_count"
    " AND excluded.tpm_clock > tpm_counters.tpm_clock)))");

// (resetCount, restartCount, clock) of `a` is above that of `b`, as kRaiseCounters compares.
bool CountersAbove(const ClockInfo& a, const ClockInfo& b) {
  return std::tie(a.reset_count, a.restart_count, a.clock) >
         std::tie(b.reset_count, b.restart_count, b.clock);
}

void AppendAttestationRow(const PendingAttestation& pending, std::vector<SqlParam>& params) {
  const Attestation* a = pending.record;
  params.insert(
      params.end(),
      {a->host_id, a->group, Micros(a->received_at), Bytes{a->token_id}, a->tier,
       a->placement_eligible, a->policy_name, a->policy_version, Micros(a->expires_at),
       a->verdict_jwt, a->findings_json, Bytes{a->ak_name},
       static_cast<int64_t>(a->clock_info.clock), static_cast<int64_t>(a->clock_info.reset_count),
       static_cast<int64_t>(a->clock_info.restart_count), Bytes{a->evidence.quote_msg},
       Bytes{a->evidence.quote_sig}, Bytes{a->evidence.quote_pcrs},
       pending.log.has_value() ? SqlParam(Bytes{pending.log->digest}) : SqlParam()});
}

absl::Status TokenReused(const Attestation& a) {
  return absl::AlreadyExistsError(
      absl::StrCat("challenge token of host ", a.host_id, " was already used"));
}

constexpr char kRollbackColumns[] =
    "id, host_id, ak_name, detected_at_us, code, seen, allowed, cleared_at_us, cleared_by,"
    " cleared_reason";

// Tiers as records spell them (proto/tier_names.h): retention keeps each host's latest of these.
constexpr char kTierAffirming[] = "affirming";
constexpr char kTierContraindicated[] = "contraindicated";

// The attestations retention lets go of the hosts $6, $7, .. (a chunk of ChunkRows hosts), at
// most $5 of them (the oldest): of each host, those beyond its newest $1, received before $2
// (microseconds), and neither its latest of tier $3 nor of tier $4. ApplyRetention runs it only
// with $1 >= 1, so each host's latest attestation always stays. Returns the host of each row.
const ChunkedSql kPruneHosts = InListSql(
    "DELETE FROM attestations WHERE id IN (SELECT id FROM (SELECT id, tier, received_at_us,"
    " ROW_NUMBER() OVER (PARTITION BY host_id ORDER BY id DESC) AS newest,"
    " ROW_NUMBER() OVER (PARTITION BY host_id, tier ORDER BY id DESC) AS newest_of_tier"
    " FROM attestations WHERE host_id",
    ") ranked WHERE newest > $1 AND received_at_us < $2"
    " AND NOT (newest_of_tier = 1 AND tier IN ($3, $4)) ORDER BY id LIMIT $5) RETURNING host_id",
    6);
// Most attestations one retention transaction deletes: the write lock is held briefly.
constexpr int64_t kPruneBatch = 5000;

std::string TimeText(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

// INSERT of every host column; with `replace`, an existing host gets every field of the new one
// (its attestations stay).
std::string InsertHostSql(bool replace) {
  return absl::StrCat(
      "INSERT INTO hosts (", kHostColumns,
      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
      replace ? " ON CONFLICT (host_id) DO UPDATE SET host_group = excluded.host_group,"
                " ak_public = excluded.ak_public, ak_name = excluded.ak_name,"
                " registered_at_us = excluded.registered_at_us,"
                " registered_by = excluded.registered_by, trust_path = excluded.trust_path,"
                " ek_fingerprint = excluded.ek_fingerprint, status = excluded.status,"
                " status_changed_at_us = excluded.status_changed_at_us,"
                " status_changed_by = excluded.status_changed_by,"
                " status_reason = excluded.status_reason,"
                " reenroll_allowed = excluded.reenroll_allowed,"
                " reenroll_allowed_at_us = excluded.reenroll_allowed_at_us,"
                " reenroll_allowed_by = excluded.reenroll_allowed_by,"
                " reenroll_allowed_reason = excluded.reenroll_allowed_reason"
              : "");
}

// The parameters of InsertHostSql, in kHostColumns order.
std::array<SqlParam, 16> HostParams(const Host& h) {
  return {h.host_id,
          h.group,
          Bytes{h.ak_public},
          Bytes{h.ak_name},
          Micros(h.registered_at),
          h.registered_by,
          h.trust_path,
          h.ek_fingerprint,
          h.status,
          Micros(h.status_changed_at),
          h.status_changed_by,
          h.status_reason,
          h.reenroll_allowed,
          Micros(h.reenroll_allowed_at),
          h.reenroll_allowed_by,
          h.reenroll_allowed_reason};
}

Host HostFromRow(const SqlRow& row) {
  Host h;
  h.host_id = row.Str(0);
  h.group = row.Str(1);
  h.ak_public = row.Str(2);
  h.ak_name = row.Str(3);
  h.registered_at = absl::FromUnixMicros(row.Int(4));
  h.registered_by = row.Str(5);
  h.trust_path = row.Str(6);
  h.ek_fingerprint = row.Str(7);
  h.status = row.Str(8);
  h.status_changed_at = absl::FromUnixMicros(row.Int(9));
  h.status_changed_by = row.Str(10);
  h.status_reason = row.Str(11);
  h.reenroll_allowed = row.Int(12) != 0;
  h.reenroll_allowed_at = absl::FromUnixMicros(row.Int(13));
  h.reenroll_allowed_by = row.Str(14);
  h.reenroll_allowed_reason = row.Str(15);
  return h;
}

absl::Status ValidateHost(const Host& h) {
  if (h.host_id.empty()) return absl::InvalidArgumentError("host has no host_id");
  if (h.group.empty()) return absl::InvalidArgumentError("host has no group");
  if (h.status != kHostActive && h.status != kHostRevoked) {
    return absl::InvalidArgumentError(absl::StrCat("host ", h.host_id, ": status \"", h.status,
                                                   "\" is neither ", kHostActive, " nor ",
                                                   kHostRevoked));
  }
  return absl::OkStatus();
}

PendingEnrollment PendingFromRow(const SqlRow& row) {
  PendingEnrollment p;
  p.enrollment_id = row.Str(0);
  p.host_id = row.Str(1);
  p.group = row.Str(2);
  p.ek_fingerprint = row.Str(3);
  p.ak_public = row.Str(4);
  p.ak_name = row.Str(5);
  p.secret_sha256 = row.Str(6);
  p.trust_path = row.Str(7);
  p.created_at = absl::FromUnixMicros(row.Int(8));
  p.expires_at = absl::FromUnixMicros(row.Int(9));
  p.requested_by = row.Str(10);
  return p;
}

absl::Status ValidatePending(const PendingEnrollment& p) {
  if (p.enrollment_id.empty()) return absl::InvalidArgumentError("enrollment has no id");
  if (p.host_id.empty()) return absl::InvalidArgumentError("enrollment has no host_id");
  if (p.ek_fingerprint.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("enrollment of host ", p.host_id, " has no EK fingerprint"));
  }
  if (p.secret_sha256.size() != kSecretSha256Size) {
    return absl::InvalidArgumentError(
        absl::StrCat("enrollment of host ", p.host_id, ": the secret's SHA-256 is ",
                     p.secret_sha256.size(), " bytes, not ", kSecretSha256Size));
  }
  return absl::OkStatus();
}

// The stored host's columns BindEnrolledHost judges an enrollment by (RebindReason).
constexpr char kBindingColumns[] =
    "ek_fingerprint, status, reenroll_allowed, reenroll_allowed_by, reenroll_allowed_reason";

// Why an enrollment of `host` may replace the binding `current` (kBindingColumns of the stored
// host): the new status_reason. FailedPrecondition if it may not.
absl::StatusOr<std::string> RebindReason(const Host& host, const SqlRow& current) {
  const std::string& bound_ek = current.Str(0);
  if (current.Int(2) != 0) {
    return absl::StrCat("re-enrolled after ", current.Str(3), " allowed it: ", current.Str(4));
  }
  if (current.Str(1) != kHostActive) {
    return absl::FailedPreconditionError(
        absl::StrCat("host \"", host.host_id, "\" is revoked; an admin must allow re-enrollment"));
  }
  if (bound_ek.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("host \"", host.host_id,
                     "\" was registered by an admin, not through an EK; an admin must allow "
                     "re-enrollment"));
  }
  if (bound_ek != host.ek_fingerprint) {
    return absl::FailedPreconditionError(absl::StrCat(
        "host \"", host.host_id, "\" is bound to another TPM (EK sha256 ",
        bound_ek.substr(0, kFingerprintPrefix), "…); an admin must allow re-enrollment"));
  }
  return std::string("AK rotated by the same TPM");
}

// FailedPrecondition when the TPM (EK) of `host` already speaks for another active host: one
// TPM, one host. A revoked host frees its TPM.
absl::Status CheckTpmFree(SqlConnection& conn, const Host& host) {
  const SqlParam params[] = {host.ek_fingerprint, std::string(kHostActive), host.host_id};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   conn.Query("SELECT host_id FROM hosts WHERE ek_fingerprint = $1 AND status = $2"
                              " AND host_id <> $3 LIMIT 1",
                              params));
  if (rows.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("this TPM (EK sha256 ", host.ek_fingerprint.substr(0, kFingerprintPrefix),
                   "…) is already enrolled as host \"", rows.front().Str(0),
                   "\": one TPM speaks for one host; revoke \"", rows.front().Str(0), "\" first"));
}

// The revocation of ak_name, nullopt when it was never revoked.
absl::StatusOr<std::optional<RevokedAk>> FindRevokedAk(SqlConnection& conn,
                                                       const std::string& ak_name) {
  const SqlParam key[] = {Bytes{ak_name}};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   conn.Query("SELECT ak_name, host_id, revoked_at_us, revoked_by, reason"
                              " FROM revoked_aks WHERE ak_name = $1",
                              key));
  if (rows.empty()) return std::optional<RevokedAk>();
  RevokedAk r;
  r.ak_name = rows[0].Str(0);
  r.host_id = rows[0].Str(1);
  r.revoked_at = absl::FromUnixMicros(rows[0].Int(2));
  r.revoked_by = rows[0].Str(3);
  r.reason = rows[0].Str(4);
  return std::optional<RevokedAk>(std::move(r));
}

// FailedPrecondition when host.ak_name was revoked, with any host: a revoked AK is never bound
// again (the agent makes a new one on this message: keep "never bound again" in it).
absl::Status CheckAkNotRevoked(SqlConnection& conn, const Host& host) {
  ASSIGN_OR_RETURN(std::optional<RevokedAk> revoked, FindRevokedAk(conn, host.ak_name));
  if (!revoked) return absl::OkStatus();
  return absl::FailedPreconditionError(RevokedAkMessage(*revoked));
}

// How binding `host` would go: whether the host exists, and the new status_reason; or
// FailedPrecondition naming the conflict. With `lock` (inside the write transaction) the host's
// row stays locked until the transaction ends.
struct Binding {
  bool host_exists = false;
  std::string status_reason;
  std::string allowed_by;  // who allowed the re-enrollment this binding uses up, if one
};
absl::StatusOr<Binding> JudgeBinding(SqlConnection& conn, const Host& host, bool lock) {
  if (host.ek_fingerprint.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("host ", host.host_id, ": an enrolled host needs its EK fingerprint"));
  }
  RETURN_IF_ERROR(CheckTpmFree(conn, host));
  const SqlParam key[] = {host.host_id};
  ASSIGN_OR_RETURN(
      std::vector<SqlRow> current,
      conn.Query(absl::StrCat("SELECT ", kBindingColumns, " FROM hosts WHERE host_id = $1",
                              lock ? std::string(conn.dialect().lock_rows) : ""),
                 key));
  if (current.empty()) {
    RETURN_IF_ERROR(CheckAkNotRevoked(conn, host));
    return Binding{false, "enrolled", ""};
  }
  ASSIGN_OR_RETURN(std::string reason, RebindReason(host, current.front()));
  // After the host's own judgement: a new AK helps only when the host may bind at all.
  RETURN_IF_ERROR(CheckAkNotRevoked(conn, host));
  return Binding{true, std::move(reason),
                 current.front().Int(2) != 0 ? current.front().Str(3) : std::string()};
}

// A rollback from kRollbackColumns starting at column `first`.
TpmRollback RollbackFromRow(const SqlRow& row, size_t first = 0) {
  TpmRollback r;
  r.id = row.Int(first);
  r.host_id = row.Str(first + 1);
  r.ak_name = row.Str(first + 2);
  r.detected_at = absl::FromUnixMicros(row.Int(first + 3));
  r.code = row.Str(first + 4);
  r.seen = row.Str(first + 5);
  r.allowed = row.Str(first + 6);
  r.cleared_at = absl::FromUnixMicros(row.Int(first + 7));
  r.cleared_by = row.Str(first + 8);
  r.cleared_reason = row.Str(first + 9);
  return r;
}

// `columns` ("a, b, c") each as `table`.column.
std::string Qualified(absl::string_view table, absl::string_view columns) {
  std::vector<std::string> out;
  for (absl::string_view c : absl::StrSplit(columns, ',')) {
    out.push_back(absl::StrCat(table, ".", absl::StripAsciiWhitespace(c)));
  }
  return absl::StrJoin(out, ", ");
}

// Closes the open rollbacks of host_id and forgets its AKs' counters, inside a write transaction.
absl::StatusOr<std::vector<TpmRollback>> ClearRollbacksIn(SqlConnection& conn,
                                                          const std::string& host_id,
                                                          const std::string& by,
                                                          const std::string& reason,
                                                          absl::Time at) {
  const SqlParam params[] = {host_id, Micros(at), by, reason};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   conn.Query(absl::StrCat("UPDATE tpm_rollbacks SET cleared_at_us = $2,"
                                           " cleared_by = $3, cleared_reason = $4"
                                           " WHERE host_id = $1 AND cleared_at_us = 0 RETURNING ",
                                           kRollbackColumns),
                              params));
  const SqlParam key[] = {host_id};
  RETURN_IF_ERROR(conn.Query("DELETE FROM tpm_counters WHERE host_id = $1", key).status());
  std::vector<TpmRollback> cleared;
  cleared.reserve(rows.size());
  for (const SqlRow& row : rows) cleared.push_back(RollbackFromRow(row));
  std::sort(cleared.begin(), cleared.end(),
            [](const TpmRollback& a, const TpmRollback& b) { return a.id < b.id; });
  return cleared;
}

// The body of BindEnrolledHost, inside its write transaction.
absl::Status BindInTransaction(SqlConnection& conn, const Host& host) {
  ASSIGN_OR_RETURN(Binding binding, JudgeBinding(conn, host, /*lock=*/true));
  Host bound = host;
  bound.status = kHostActive;
  bound.reenroll_allowed = false;
  bound.reenroll_allowed_at = absl::UnixEpoch();
  bound.reenroll_allowed_by.clear();
  bound.reenroll_allowed_reason.clear();
  bound.status_changed_at = host.registered_at;
  bound.status_changed_by = host.registered_by;
  bound.status_reason = binding.status_reason;
  if (!binding.allowed_by.empty()) {
    RETURN_IF_ERROR(ClearRollbacksIn(conn, host.host_id, host.registered_by,
                                     absl::StrCat("re-enrollment allowed by ", binding.allowed_by),
                                     host.registered_at)
                        .status());
  }
  // A concurrent first enrollment of the same host, or of another host with the same TPM,
  // makes this AlreadyExists (PostgreSQL; the unique keys of hosts).
  return conn.Query(InsertHostSql(/*replace=*/binding.host_exists), HostParams(bound)).status();
}

AuditRecord AuditFromRow(const SqlRow& row) {
  AuditRecord r;
  r.id = row.Int(0);
  r.at = absl::FromUnixMicros(row.Int(1));
  r.actor = row.Str(2);
  r.role = row.Str(3);
  r.action = row.Str(4);
  r.host_id = row.Str(5);
  r.outcome = row.Str(6);
  r.reason = row.Str(7);
  r.details = row.Str(8);
  return r;
}

absl::Status ValidateAudit(const AuditRecord& r) {
  if (r.action.empty()) return absl::InvalidArgumentError("audit record has no action");
  if (r.outcome != "ok" && r.outcome != "denied" && r.outcome != "refused") {
    return absl::InvalidArgumentError(absl::StrCat("audit record of ", r.action, ": outcome \"",
                                                   r.outcome, "\" is not ok, denied or refused"));
  }
  return absl::OkStatus();
}

// One page of a newest-first listing: `size` rows with id < before_id (0 = from the newest).
struct Paging {
  int size = 0;
  int64_t before_id = 0;
};

// The page token is the id of the last row of the previous page.
absl::StatusOr<Paging> ParsePaging(int page_size, const std::string& page_token, int default_size,
                                   int max_size) {
  if (page_size < 0) return absl::InvalidArgumentError("negative page size");
  Paging paging;
  paging.size = page_size == 0 ? default_size : std::min(page_size, max_size);
  if (!page_token.empty() &&
      (!absl::SimpleAtoi(page_token, &paging.before_id) || paging.before_id <= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("malformed page token \"", page_token, "\""));
  }
  return paging;
}

// A SELECT whose conditions vary while every value stays a bound parameter.
class FilteredSelect {
 public:
  explicit FilteredSelect(absl::string_view select_from)
      : sql_(absl::StrCat(select_from, " WHERE 1 = 1")) {}

  // Appends " AND <condition> $n" with `value` as parameter n.
  template <typename T>
  void Where(absl::string_view condition, T value) {
    params_.emplace_back(std::in_place_type<T>, std::move(value));
    absl::StrAppend(&sql_, " AND ", condition, " $", params_.size());
  }
  // Orders by id, newest first, and asks for one row more than the page: TrimToPage says
  // whether there is a next page.
  void NewestFirst(const Paging& paging) {
    if (paging.before_id > 0) Where("id <", paging.before_id);
    params_.emplace_back(std::in_place_type<int64_t>, int64_t{paging.size} + 1);
    absl::StrAppend(&sql_, " ORDER BY id DESC LIMIT $", params_.size());
  }

  const std::string& sql() const { return sql_; }
  std::span<const SqlParam> params() const { return params_; }

 private:
  std::string sql_;
  std::vector<SqlParam> params_;
};

// Drops the look-ahead row NewestFirst asked for; true if there was one.
bool TrimToPage(std::vector<SqlRow>& rows, const Paging& paging) {
  if (rows.size() <= static_cast<size_t>(paging.size)) return false;
  rows.erase(rows.begin() + paging.size, rows.end());
  return true;
}

// Invariants both dialects check with the same statement (each a count that must be 0).
struct Invariant {
  const char* what;
  const char* sql;
};
constexpr Invariant kInvariants[] = {
    {"hosts with a status other than active or revoked",
     "SELECT COUNT(*) FROM hosts WHERE status NOT IN ('active', 'revoked')"},
    {"hosts with more than one pending enrollment",
     "SELECT COUNT(*) FROM (SELECT host_id FROM pending_enrollments GROUP BY host_id"
     " HAVING COUNT(*) > 1) t"},
    {"pending enrollments whose secret hash is not 32 bytes",
     "SELECT COUNT(*) FROM pending_enrollments WHERE length(secret_sha256) <> 32"},
    {"audit records with an outcome other than ok, denied or refused",
     "SELECT COUNT(*) FROM audit_log WHERE outcome NOT IN ('ok', 'denied', 'refused')"},
};

Attestation AttestationFromRow(const SqlRow& row) {
  Attestation a;
  a.id = row.Int(0);
  a.host_id = row.Str(1);
  a.group = row.Str(2);
  a.received_at = absl::FromUnixMicros(row.Int(3));
  a.token_id = row.Str(4);
  a.tier = row.Str(5);
  a.placement_eligible = row.Int(6) != 0;
  a.policy_name = row.Str(7);
  a.policy_version = row.Int(8);
  a.expires_at = absl::FromUnixMicros(row.Int(9));
  a.verdict_jwt = row.Str(10);
  a.findings_json = row.Str(11);
  a.ak_name = row.Str(12);
  // The TPM clock is a uint64 kept bit-for-bit in a signed 64-bit column.
  a.clock_info.clock = static_cast<uint64_t>(row.Int(13));
  a.clock_info.reset_count = static_cast<uint32_t>(row.Int(14));
  a.clock_info.restart_count = static_cast<uint32_t>(row.Int(15));
  return a;
}

PolicyVersion PolicyFromRow(const SqlRow& row) {
  PolicyVersion p;
  p.name = row.Str(0);
  p.version = row.Int(1);
  p.text = row.Str(2);
  p.created_at = absl::FromUnixMicros(row.Int(3));
  p.created_by = row.Str(4);
  return p;
}

// Errors that belong to one record of a batch (the others can still commit).
bool IsRecordError(const absl::Status& s) {
  return absl::IsAlreadyExists(s) || absl::IsFailedPrecondition(s) || absl::IsInvalidArgument(s) ||
         absl::IsAborted(s);
}

// Tells the other replicas (Store::FollowAttestations) of a batch's stored records inside its
// transaction, so that the notification goes out at its commit: one NOTIFY per 256 ids
// ("12,13,14"; PostgreSQL takes payloads up to 8000 bytes), not one round trip per record.
absl::Status NotifyRecorded(SqlConnection& conn, std::span<const absl::StatusOr<int64_t>> results) {
  constexpr size_t kIdsPerNotify = 256;
  if (conn.dialect().notify_recorded.empty()) return absl::OkStatus();
  std::vector<int64_t> ids;
  for (const absl::StatusOr<int64_t>& id : results) {
    if (id.ok()) ids.push_back(*id);
  }
  for (size_t from = 0; from < ids.size(); from += kIdsPerNotify) {
    const size_t to = std::min(ids.size(), from + kIdsPerNotify);
    const SqlParam payload[] = {
        absl::StrJoin(std::span<const int64_t>(ids).subspan(from, to - from), ",")};
    RETURN_IF_ERROR(conn.Query(conn.dialect().notify_recorded, payload).status());
  }
  return absl::OkStatus();
}

// ABORTED unless `a.only_if_latest` is still the id of its host's latest attestation. Where
// writers are not serialised by the transaction itself (PostgreSQL), the host's row is locked
// first: an Attest inserting for the host holds a key-share lock on it until it commits, so the
// check then sees its row, and one that starts later waits for this transaction.
absl::Status CheckStillLatest(SqlConnection& conn, const Attestation& a) {
  const SqlParam host[] = {a.host_id};
  if (!conn.dialect().lock_rows.empty()) {
    RETURN_IF_ERROR(conn.Query(absl::StrCat("SELECT host_id FROM hosts WHERE host_id = $1",
                                            std::string(conn.dialect().lock_rows)),
                               host)
                        .status());
  }
  ASSIGN_OR_RETURN(
      std::vector<SqlRow> rows,
      conn.Query("SELECT id FROM attestations WHERE host_id = $1 ORDER BY id DESC LIMIT 1", host));
  if (!rows.empty() && rows.front().Int(0) == *a.only_if_latest) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat("host ", a.host_id, " has an attestation newer than ",
                                         *a.only_if_latest, ": its verdict stands"));
}

absl::Status ValidateAttestation(const Attestation& a) {
  if (a.host_id.empty()) return absl::InvalidArgumentError("attestation has no host_id");
  if (a.token_id.empty()) return absl::InvalidArgumentError("attestation has no token_id");
  return absl::OkStatus();
}

}  // namespace

SqlStore::SqlStore(ConnectionPool::Factory factory, const StoreOptions& options,
                   int64_t schema_version, bool group_reads, FeedFactory feeds)
    : pool_(std::move(factory), std::max(options.pool_size, 1)),
      attestation_writes_(
          [this](std::span<const PendingAttestation* const> r) { return CommitBatch(r); },
          options.max_batch),
      schema_version_(schema_version),
      max_event_log_bytes_(options.max_event_log_bytes),
      feeds_(std::move(feeds)),
      notification_urls_(options.notification_urls) {
  if (!group_reads) return;
  constexpr int kMaxIdsPerRead = 64;
  host_reads_ = std::make_unique<Batcher<std::string, Host>>(
      [this](std::span<const std::string* const> ids) { return ReadHosts(ids); }, kMaxIdsPerRead);
  attest_host_reads_ = std::make_unique<Batcher<std::string, HostForAttest>>(
      [this](std::span<const std::string* const> ids) { return ReadHostsForAttest(ids); },
      kMaxIdsPerRead);
}

absl::StatusOr<std::unique_ptr<AttestationFeed>> SqlStore::FollowAttestations(
    FeedCallbacks callbacks) {
  if (!feeds_) return std::unique_ptr<AttestationFeed>();
  callbacks.on_recorded = [this, on_recorded = std::move(callbacks.on_recorded)](int64_t id) {
    if (!ForgetOwn(id)) on_recorded(id);
  };
  return feeds_(std::move(callbacks));
}

void SqlStore::RememberOwn(std::span<const absl::StatusOr<int64_t>> results) {
  constexpr size_t kMaxRemembered = 4096;
  if (!feeds_) return;
  absl::MutexLock lock(&own_mu_);
  for (const absl::StatusOr<int64_t>& id : results) {
    if (!id.ok() || !own_ids_.insert(*id).second) continue;
    own_order_.push_back(*id);
    if (own_order_.size() > kMaxRemembered) {
      own_ids_.erase(own_order_.front());
      own_order_.pop_front();
    }
  }
}

bool SqlStore::ForgetOwn(int64_t id) {
  absl::MutexLock lock(&own_mu_);
  return own_ids_.erase(id) > 0;  // its own_order_ entry goes when it is the oldest
}

absl::StatusOr<std::vector<SqlRow>> SqlStore::Query(std::string_view sql,
                                                    std::span<const SqlParam> params) {
  ASSIGN_OR_RETURN(ConnectionPool::Lease conn, pool_.Acquire());
  absl::StatusOr<std::vector<SqlRow>> rows = conn->Query(sql, params);
  // Busy, or the connection is gone: a fresh one next time.
  if (absl::IsUnavailable(rows.status())) conn.Discard();
  return rows;
}

absl::Status SqlStore::InWriteTransaction(absl::FunctionRef<absl::Status(SqlConnection&)> body) {
  ASSIGN_OR_RETURN(ConnectionPool::Lease conn, pool_.Acquire());
  absl::Status status = conn->Exec(conn->dialect().begin_write);
  if (status.ok()) status = body(*conn);
  if (status.ok()) status = conn->Exec("COMMIT");
  if (!status.ok() && !conn->Exec("ROLLBACK").ok()) {
    conn.Discard();  // the connection's transaction state is unknown
  }
  return status;
}

absl::Status SqlStore::RegisterHost(const Host& host, bool replace) {
  RETURN_IF_ERROR(ValidateHost(host));
  absl::Status s = Query(InsertHostSql(replace), HostParams(host)).status();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(
        absl::StrCat("host ", host.host_id, " is already registered (replace it explicitly)"));
  }
  return s;
}

template <typename T>
absl::StatusOr<T> SqlStore::ReadOne(Batcher<std::string, T>* grouped, ReadMany<T> read,
                                    const std::string& host_id) {
  if (grouped) return grouped->Submit(host_id);
  const std::string* const id[] = {&host_id};
  return (this->*read)(std::span(id))[0];
}

absl::StatusOr<Host> SqlStore::GetHost(const std::string& host_id) {
  return ReadOne(host_reads_.get(), &SqlStore::ReadHosts, host_id);
}

absl::StatusOr<HostForAttest> SqlStore::GetHostForAttest(const std::string& host_id) {
  return ReadOne(attest_host_reads_.get(), &SqlStore::ReadHostsForAttest, host_id);
}

namespace {

absl::Status HostNotRegistered(const std::string& host_id) {
  return absl::NotFoundError(absl::StrCat("host ", host_id, " is not registered"));
}

// One result per id, in order: what `found` holds for it, else NotFound; or every one `failed`.
template <typename T>
std::vector<absl::StatusOr<T>> ResultsById(std::span<const std::string* const> ids,
                                           const absl::Status& failed,
                                           absl::flat_hash_map<std::string, T>& found) {
  std::vector<absl::StatusOr<T>> out;
  out.reserve(ids.size());
  for (const std::string* id : ids) {
    if (!failed.ok()) {
      out.push_back(failed);
      continue;
    }
    auto it = found.find(*id);
    out.push_back(it == found.end() ? absl::StatusOr<T>(HostNotRegistered(*id)) : it->second);
  }
  return out;
}

}  // namespace

absl::Status SqlStore::ReadChunks(const ChunkedSql& sql, std::span<const std::string* const> ids,
                                  absl::FunctionRef<void(const SqlRow&)> take) {
  // Callers naming one host in one group share its rows: no row twice (an open rollback would
  // be listed twice).
  std::vector<std::string_view> keys;
  keys.reserve(ids.size());
  absl::flat_hash_set<std::string_view> seen;
  for (const std::string* id : ids) {
    if (seen.insert(*id).second) keys.push_back(*id);
  }
  for (size_t from = 0; from < keys.size();) {
    const size_t n = ChunkRows(keys.size() - from);
    std::vector<SqlParam> params;
    params.reserve(n);
    for (std::string_view key : std::span(keys).subspan(from, n))
      params.push_back(std::string(key));
    ASSIGN_OR_RETURN(std::vector<SqlRow> rows, Query(sql.For(n), params));
    for (const SqlRow& row : rows) take(row);
    from += n;
  }
  return absl::OkStatus();
}

std::vector<absl::StatusOr<Host>> SqlStore::ReadHosts(std::span<const std::string* const> ids) {
  static const ChunkedSql kSql =
      InListSql(absl::StrCat("SELECT ", kHostColumns, " FROM hosts WHERE host_id"), "");
  absl::flat_hash_map<std::string, Host> found;
  const absl::Status status = ReadChunks(kSql, ids, [&](const SqlRow& row) {
    Host host = HostFromRow(row);
    found.emplace(host.host_id, std::move(host));
  });
  return ResultsById(ids, status, found);
}

std::vector<absl::StatusOr<HostForAttest>> SqlStore::ReadHostsForAttest(
    std::span<const std::string* const> ids) {
  // One row per open rollback (one with NULLs when none): hosts by its key, tpm_counters by its
  // key (the AK's), tpm_rollbacks by tpm_rollbacks_by_host.
  constexpr size_t kHostColumnCount = 16;  // HostFromRow
  constexpr size_t kCounters = kHostColumnCount, kRollback = kCounters + 3;
  static const ChunkedSql kSql = InListSql(
      absl::StrCat("SELECT ", Qualified("h", kHostColumns),
                   ", c.tpm_clock, c.reset_count, c.restart_count, ",
                   Qualified("r", kRollbackColumns),
                   " FROM hosts h LEFT JOIN tpm_counters c ON c.ak_name = h.ak_name"
                   " LEFT JOIN tpm_rollbacks r ON r.host_id = h.host_id AND r.cleared_at_us = 0"
                   " WHERE h.host_id"),
      " ORDER BY r.id");
  absl::flat_hash_map<std::string, HostForAttest> found;
  const absl::Status status = ReadChunks(kSql, ids, [&](const SqlRow& row) {
    Host host = HostFromRow(row);
    auto [it, first_row] = found.try_emplace(host.host_id);
    HostForAttest& out = it->second;
    if (first_row) {
      out.host = std::move(host);
      if (!row.IsNull(kCounters)) {
        ClockInfo highest;
        highest.clock = static_cast<uint64_t>(row.Int(kCounters));
        highest.reset_count = static_cast<uint32_t>(row.Int(kCounters + 1));
        highest.restart_count = static_cast<uint32_t>(row.Int(kCounters + 2));
        out.rollback.highest = highest;
      }
    }
    if (!row.IsNull(kRollback)) out.rollback.open.push_back(RollbackFromRow(row, kRollback));
  });
  return ResultsById(ids, status, found);
}

absl::StatusOr<std::vector<Host>> SqlStore::ListHosts() {
  ASSIGN_OR_RETURN(
      std::vector<SqlRow> rows,
      Query(absl::StrCat("SELECT ", kHostColumns, " FROM hosts ORDER BY host_id"), {}));
  std::vector<Host> hosts;
  hosts.reserve(rows.size());
  for (const SqlRow& row : rows) hosts.push_back(HostFromRow(row));
  return hosts;
}

absl::StatusOr<EncodedLog> SqlStore::EncodeLog(const std::string& log) {
  EncodedLog encoded;
  ASSIGN_OR_RETURN(encoded.digest, LogDigest(log));
  encoded.raw_size = static_cast<int64_t>(log.size());
  // The usual case (a fleet repeats its boot chains): stored already, nothing to compress. A
  // log deleted before the batch commits is compressed there (PutLog).
  if (stored_logs_.Contains(encoded.digest)) return encoded;
  const SqlParam key[] = {Bytes{encoded.digest}};
  ASSIGN_OR_RETURN(std::vector<SqlRow> stored,
                   Query("SELECT 1 FROM evidence_logs WHERE digest = $1", key));
  if (stored.empty()) {
    ASSIGN_OR_RETURN(encoded.compressed, CompressLog(log));
  } else {
    stored_logs_.Insert(encoded.digest, true);
  }
  return encoded;
}

absl::StatusOr<int64_t> SqlStore::RecordAttestation(const Attestation& record) {
  RETURN_IF_ERROR(ValidateAttestation(record));
  const std::string& log = record.evidence.event_log;
  if (static_cast<int64_t>(log.size()) > max_event_log_bytes_) {
    return absl::InvalidArgumentError(absl::StrCat("event log of ", log.size(),
                                                   " bytes is above max_event_log_bytes (",
                                                   max_event_log_bytes_, ")"));
  }
  PendingAttestation pending{&record, std::nullopt};
  if (!log.empty()) {
    ASSIGN_OR_RETURN(pending.log, EncodeLog(log));
  }
  return attestation_writes_.Submit(pending);
}

absl::StatusOr<std::optional<int64_t>> SqlStore::InsertAttestation(
    SqlConnection& conn, const PendingAttestation& pending) {
  const Attestation* a = pending.record;
  if (a->only_if_latest.has_value()) RETURN_IF_ERROR(CheckStillLatest(conn, *a));
  bool eligible_before = false;
  if (!notification_urls_.empty()) {
    ASSIGN_OR_RETURN(eligible_before, EligibleAt(conn, a->host_id, a->received_at));
  }
  std::vector<SqlParam> params;
  params.reserve(kAttestationRowColumns);
  AppendAttestationRow(pending, params);
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows, conn.Query(kInsertAttestations.For(1), params));
  if (rows.size() != 1) return std::optional<int64_t>();  // a reused token: nothing inserted
  if (std::optional<Notification> event = VerdictNotification(*a, eligible_before)) {
    RETURN_IF_ERROR(InsertNotification(conn, *event, notification_urls_, false).status());
  }
  return std::optional<int64_t>(rows.front().Int(0));
}

bool SqlStore::RowsGoTogether(std::span<const PendingAttestation* const> records) const {
  if (!notification_urls_.empty()) return false;
  return std::none_of(records.begin(), records.end(), [](const PendingAttestation* p) {
    return p->record->only_if_latest.has_value();
  });
}

absl::Status SqlStore::InsertAttestationRows(SqlConnection& conn,
                                             std::span<const PendingAttestation* const> records,
                                             std::vector<absl::StatusOr<int64_t>>& results) {
  for (size_t from = 0; from < records.size();) {
    const size_t n = ChunkRows(records.size() - from);
    const auto chunk = records.subspan(from, n);
    std::vector<SqlParam> params;
    params.reserve(n * kAttestationRowColumns);
    for (const PendingAttestation* p : chunk) AppendAttestationRow(*p, params);
    ASSIGN_OR_RETURN(std::vector<SqlRow> rows, conn.Query(kInsertAttestations.For(n), params));
    // Rows come back in no promised order: matched by token. Of two records with one token,
    // the first was inserted (ON CONFLICT skips later rows), the other reused it.
    absl::flat_hash_map<std::string, int64_t> ids;
    for (const SqlRow& row : rows) ids.emplace(row.Str(1), row.Int(0));
    for (const PendingAttestation* p : chunk) {
      auto it = ids.find(p->record->token_id);
      if (it == ids.end()) {
        results.push_back(TokenReused(*p->record));
      } else {
        results.push_back(it->second);
        ids.erase(it);
      }
    }
    from += n;
  }
  return absl::OkStatus();
}

absl::Status SqlStore::PutBatchLogs(SqlConnection& conn,
                                    std::span<const PendingAttestation* const> records) {
  std::vector<const PendingAttestation*> with_log;
  for (const PendingAttestation* p : records) {
    if (p->log.has_value()) with_log.push_back(p);
  }
  std::sort(with_log.begin(), with_log.end(),
            [](const auto* x, const auto* y) { return x->log->digest < y->log->digest; });
  for (size_t i = 0; i < with_log.size(); ++i) {
    if (i > 0 && with_log[i]->log->digest == with_log[i - 1]->log->digest) continue;
    RETURN_IF_ERROR(PutLog(conn, *with_log[i]->log, with_log[i]->record->evidence.event_log));
  }
  return absl::OkStatus();
}

absl::Status SqlStore::RaiseBatchCounters(SqlConnection& conn,
                                          std::span<const PendingAttestation* const> records,
                                          const std::vector<absl::StatusOr<int64_t>>& results) {
  // Per AK, its stored record with the highest counters (the first of equals): what raising
  // them record by record would leave.
  std::map<std::string_view, const Attestation*> highest;  // in AK order
  for (size_t i = 0; i < records.size(); ++i) {
    const Attestation* a = records[i]->record;
    if (!results[i].ok() || a->ak_name.empty()) continue;
    auto [it, added] = highest.emplace(a->ak_name, a);
    if (!added && CountersAbove(a->clock_info, it->second->clock_info)) it->second = a;
  }
  std::vector<const Attestation*> rows;
  rows.reserve(highest.size());
  for (const auto& [ak, a] : highest) rows.push_back(a);
  for (size_t from = 0; from < rows.size();) {
    const size_t n = ChunkRows(rows.size() - from);
    std::vector<SqlParam> params;
    params.reserve(n * kCounterRowColumns);
    for (const Attestation* a : std::span(rows).subspan(from, n)) {
      params.insert(params.end(),
                    {Bytes{a->ak_name}, a->host_id, static_cast<int64_t>(a->clock_info.reset_count),
                     static_cast<int64_t>(a->clock_info.restart_count),
                     static_cast<int64_t>(a->clock_info.clock), Micros(a->received_at)});
    }
    RETURN_IF_ERROR(conn.Query(kRaiseCounters.For(n), params).status());
    from += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<absl::StatusOr<int64_t>>> SqlStore::TryCommitBatch(
    SqlConnection& conn, std::span<const PendingAttestation* const> records,
    RecordIsolation isolation, bool& record_failed) {
  const bool savepoints = isolation == RecordIsolation::kSavepoints;
  record_failed = false;
  // The transaction and its shared log lock in one round trip. On an error the connection is
  // rolled back, and discarded by CommitBatch.
  const Dialect& dialect = conn.dialect();
  absl::Status batch_error = dialect.log_share_lock.empty()
                                 ? conn.Exec(dialect.begin_write)
                                 : conn.Exec(std::string(dialect.begin_write) + "; " +
                                             std::string(dialect.log_share_lock));
  // Rows locked in one order by every batch, never in a cycle between replicas: the logs first
  // (by digest), then the records' rows, then the AKs' counters (by AK). A record that fails
  // leaves its log stored, unreferenced until the next retention pass.
  if (batch_error.ok()) batch_error = PutBatchLogs(conn, records);
  std::vector<absl::StatusOr<int64_t>> results;
  results.reserve(records.size());
  if (batch_error.ok() && !savepoints && RowsGoTogether(records)) {
    batch_error = InsertAttestationRows(conn, records, results);
    // A record's own failure fails its whole statement: the batch again, record by record.
    record_failed = IsRecordError(batch_error);
  }
  for (const PendingAttestation* pending : records.subspan(results.size())) {
    if (!batch_error.ok()) break;
    if (savepoints) batch_error = conn.Exec("SAVEPOINT record");
    if (!batch_error.ok()) break;
    const Attestation& a = *pending->record;
    absl::StatusOr<std::optional<int64_t>> id = InsertAttestation(conn, *pending);
    if (id.ok()) {
      // A reused token (nullopt) inserted nothing: nothing to undo.
      results.push_back(id->has_value() ? absl::StatusOr<int64_t>(**id) : TokenReused(a));
      if (savepoints) batch_error = conn.Exec("RELEASE SAVEPOINT record");
    } else if (IsRecordError(id.status()) && !savepoints) {
      record_failed = true;  // what it did so far must go: the batch again, with savepoints
      batch_error = id.status();
    } else if (IsRecordError(id.status())) {
      results.push_back(absl::IsFailedPrecondition(id.status())
                            ? absl::FailedPreconditionError(
                                  absl::StrCat("host ", a.host_id, " is not registered"))
                            : id.status());
      batch_error = conn.Exec("ROLLBACK TO SAVEPOINT record; RELEASE SAVEPOINT record");
    } else {
      batch_error = id.status();
    }
  }
  if (batch_error.ok()) batch_error = RaiseBatchCounters(conn, records, results);
  if (batch_error.ok()) batch_error = NotifyRecorded(conn, results);
  // Before COMMIT: the feed may hear of these ids as soon as it returns.
  if (batch_error.ok()) RememberOwn(results);
  if (batch_error.ok()) batch_error = conn.Exec("COMMIT");
  if (!batch_error.ok()) {
    // Best effort: the batch's own error is the one to report. A connection that cannot roll
    // back is in an unknown state: no second attempt on it.
    if (!conn.Exec("ROLLBACK").ok()) record_failed = false;
    return batch_error;
  }
  return results;
}

std::vector<absl::StatusOr<int64_t>> SqlStore::CommitBatch(
    std::span<const PendingAttestation* const> records) {
  absl::StatusOr<std::vector<absl::StatusOr<int64_t>>> results = [&]() {
    absl::StatusOr<ConnectionPool::Lease> conn = pool_.Acquire();
    if (!conn.ok()) return absl::StatusOr<std::vector<absl::StatusOr<int64_t>>>(conn.status());
    bool record_failed = false;
    auto r = TryCommitBatch(**conn, records, RecordIsolation::kNone, record_failed);
    if (record_failed) {
      r = TryCommitBatch(**conn, records, RecordIsolation::kSavepoints, record_failed);
    }
    if (!r.ok()) conn->Discard();  // the transaction's state on this connection is unknown
    return r;
  }();
  if (results.ok()) return *std::move(results);
  if (records.size() > 1 && absl::IsUnavailable(results.status())) {
    // A busy database or a deadlock between replicas' batches: nothing of this batch was
    // committed, so each record gets its own transaction.
    std::vector<absl::StatusOr<int64_t>> each;
    each.reserve(records.size());
    for (size_t i = 0; i < records.size(); ++i)
      each.push_back(CommitBatch(records.subspan(i, 1))[0]);
    return each;
  }
  return std::vector<absl::StatusOr<int64_t>>(records.size(), results.status());
}

absl::StatusOr<std::vector<Attestation>> SqlStore::AttestationsFromRows(
    const std::vector<SqlRow>& rows, bool with_evidence) {
  std::vector<Attestation> out;
  out.reserve(rows.size());
  LogDecoder logs(max_event_log_bytes_);
  for (const SqlRow& row : rows) {
    Attestation a = AttestationFromRow(row);
    if (with_evidence) {
      a.evidence.quote_msg = row.Str(kQuoteColumn);
      a.evidence.quote_sig = row.Str(kQuoteColumn + 1);
      a.evidence.quote_pcrs = row.Str(kQuoteColumn + 2);
      absl::StatusOr<std::string> log = logs.Log(row, kLogColumn);
      if (!log.ok()) {
        return absl::Status(log.status().code(),
                            absl::StrCat("attestation ", a.id, " of host ", a.host_id, ": ",
                                         log.status().message()));
      }
      a.evidence.event_log = *std::move(log);
    }
    out.push_back(std::move(a));
  }
  return out;
}

absl::StatusOr<Attestation> SqlStore::LatestAttestation(const std::string& host_id) {
  const SqlParam params[] = {host_id};
  ASSIGN_OR_RETURN(
      std::vector<SqlRow> rows,
      Query(absl::StrCat("SELECT ", kAttestationColumns, kEvidenceColumns,
                         kAttestationsWithEvidence, " WHERE host_id = $1 ORDER BY id DESC LIMIT 1"),
            params));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("host ", host_id, " has no attestation"));
  }
  ASSIGN_OR_RETURN(std::vector<Attestation> found, AttestationsFromRows(rows, true));
  return std::move(found.front());
}

absl::StatusOr<std::optional<Attestation>> SqlStore::LatestVerdict(const std::string& host_id) {
  // A row for a registered host, its attestation's columns NULL when it has none.
  static const std::string kSql =
      absl::StrCat("SELECT ", Qualified("a", kAttestationColumns), kHostsWithLatestAttestation,
                   " WHERE h.host_id = $1");
  const SqlParam params[] = {host_id};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows, Query(kSql, params));
  if (rows.empty()) return HostNotRegistered(host_id);
  if (rows[0].IsNull(0)) return std::nullopt;
  return AttestationFromRow(rows[0]);
}

absl::StatusOr<std::optional<Attestation>> SqlStore::VerdictIfLatest(int64_t id) {
  // LatestVerdict of the record's host (found by the attestations' key), when it is the record.
  static const std::string kSql =
      absl::StrCat("SELECT ", Qualified("a", kAttestationColumns), kHostsWithLatestAttestation,
                   " WHERE h.host_id = (SELECT host_id FROM attestations WHERE id = $1)"
                   " AND a.id = $1");
  const SqlParam params[] = {id};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows, Query(kSql, params));
  if (rows.empty()) return std::nullopt;
  return AttestationFromRow(rows[0]);
}

absl::StatusOr<Attestation> SqlStore::GetAttestation(int64_t id) {
  const SqlParam params[] = {id};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query(absl::StrCat("SELECT ", kAttestationColumns, kEvidenceColumns,
                                      kAttestationsWithEvidence, " WHERE id = $1"),
                         params));
  if (rows.empty()) return absl::NotFoundError(absl::StrCat("no attestation with id ", id));
  ASSIGN_OR_RETURN(std::vector<Attestation> found, AttestationsFromRows(rows, true));
  return std::move(found.front());
}

absl::StatusOr<Attestation> SqlStore::GetAttestationByToken(const std::string& token_id) {
  const SqlParam params[] = {Bytes{token_id}};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query(absl::StrCat("SELECT ", kAttestationColumns, kEvidenceColumns,
                                      kAttestationsWithEvidence, " WHERE token_id = $1"),
                         params));
  if (rows.empty()) return absl::NotFoundError("no attestation with that id");
  ASSIGN_OR_RETURN(std::vector<Attestation> found, AttestationsFromRows(rows, true));
  return std::move(found.front());
}

absl::StatusOr<AttestationPage> SqlStore::ListAttestations(const AttestationFilter& filter) {
  ASSIGN_OR_RETURN(Paging paging, ParsePaging(filter.page_size, filter.page_token,
                                              AttestationFilter::kDefaultPageSize,
                                              AttestationFilter::kMaxPageSize));
  FilteredSelect select(filter.include_evidence
                            ? absl::StrCat("SELECT ", kAttestationColumns, kEvidenceColumns,
                                           kAttestationsWithEvidence)
                            : absl::StrCat("SELECT ", kAttestationColumns, " FROM attestations"));
  if (!filter.host_id.empty()) select.Where("host_id =", filter.host_id);
  if (!filter.group.empty()) select.Where("host_group =", filter.group);
  if (!filter.tier.empty()) select.Where("tier =", filter.tier);
  if (filter.since != absl::InfinitePast()) select.Where("received_at_us >=", Micros(filter.since));
  if (filter.until != absl::InfiniteFuture()) {
    select.Where("received_at_us <", Micros(filter.until));
  }
  select.NewestFirst(paging);

  ASSIGN_OR_RETURN(std::vector<SqlRow> rows, Query(select.sql(), select.params()));
  AttestationPage page;
  const bool more = TrimToPage(rows, paging);
  ASSIGN_OR_RETURN(page.attestations, AttestationsFromRows(rows, filter.include_evidence));
  if (more) page.next_page_token = absl::StrCat(page.attestations.back().id);
  return page;
}

absl::StatusOr<int64_t> SqlStore::PutPolicy(const PolicyVersion& policy) {
  if (policy.name.empty()) return absl::InvalidArgumentError("policy has no name");
  if (policy.version < 0) return absl::InvalidArgumentError("negative policy version");
  if (policy.version > 0) {
    const SqlParam params[] = {policy.name, policy.version, policy.text, Micros(policy.created_at),
                               policy.created_by};
    absl::Status s = Query(
                         "INSERT INTO policies (name, version, text, created_at_us, created_by)"
                         " VALUES ($1, $2, $3, $4, $5)",
                         params)
                         .status();
    if (absl::IsAlreadyExists(s)) {
      return absl::AlreadyExistsError(
          absl::StrCat("policy ", policy.name, " version ", policy.version, " already exists"));
    }
    RETURN_IF_ERROR(s);
    return policy.version;
  }
  // Next version: computed and inserted in one statement; replicas racing for the same number
  // collide on the primary key, and the loser takes the next one.
  const SqlParam params[] = {policy.name, policy.text, Micros(policy.created_at),
                             policy.created_by};
  absl::Status last;
  for (int attempt = 0; attempt < 8; ++attempt) {
    absl::StatusOr<std::vector<SqlRow>> rows = Query(
        "INSERT INTO policies (name, version, text, created_at_us, created_by)"
        // Casts: PostgreSQL cannot infer a select list's parameter types.
        " SELECT CAST($1 AS TEXT), COALESCE(MAX(version), 0) + 1, CAST($2 AS TEXT),"
        " CAST($3 AS BIGINT), CAST($4 AS TEXT) FROM policies"
        " WHERE name = $1 RETURNING version",
        params);
    if (rows.ok() && rows->size() == 1) return rows->front().Int(0);
    if (rows.ok()) return absl::InternalError("policy insert returned no version");
    last = rows.status();
    if (!absl::IsAlreadyExists(last)) return last;
  }
  return absl::AbortedError(
      absl::StrCat("policy ", policy.name, ": too many concurrent writers: ", last.message()));
}

absl::StatusOr<PolicyVersion> SqlStore::GetPolicy(const std::string& name,
                                                  std::optional<int64_t> version) {
  constexpr char kColumns[] = "SELECT name, version, text, created_at_us, created_by FROM policies";
  absl::StatusOr<std::vector<SqlRow>> rows;
  if (version.has_value()) {
    const SqlParam params[] = {name, *version};
    rows = Query(absl::StrCat(kColumns, " WHERE name = $1 AND version = $2"), params);
  } else {
    const SqlParam params[] = {name};
    rows = Query(absl::StrCat(kColumns, " WHERE name = $1 ORDER BY version DESC LIMIT 1"), params);
  }
  RETURN_IF_ERROR(rows.status());
  if (rows->empty()) {
    return absl::NotFoundError(version.has_value()
                                   ? absl::StrCat("policy ", name, " has no version ", *version)
                                   : absl::StrCat("no policy named ", name));
  }
  return PolicyFromRow(rows->front());
}

absl::Status SqlStore::PutPendingEnrollment(const PendingEnrollment& p) {
  RETURN_IF_ERROR(ValidatePending(p));
  const SqlParam expired_before[] = {Micros(p.created_at)};
  const SqlParam params[] = {p.enrollment_id,        p.host_id,          p.group,
                             p.ek_fingerprint,       Bytes{p.ak_public}, Bytes{p.ak_name},
                             Bytes{p.secret_sha256}, p.trust_path,       Micros(p.created_at),
                             Micros(p.expires_at),   p.requested_by};
  const std::string upsert = absl::StrCat(
      "INSERT INTO pending_enrollments (", kPendingColumns,
      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
      // One pending enrollment per host: a new one replaces the host's previous one.
      " ON CONFLICT (host_id) DO UPDATE SET enrollment_id = excluded.enrollment_id,"
      " host_group = excluded.host_group, ek_fingerprint = excluded.ek_fingerprint,"
      " ak_public = excluded.ak_public, ak_name = excluded.ak_name,"
      " secret_sha256 = excluded.secret_sha256, trust_path = excluded.trust_path,"
      " created_at_us = excluded.created_at_us, expires_at_us = excluded.expires_at_us,"
      " requested_by = excluded.requested_by");
  absl::Status s = InWriteTransaction([&](SqlConnection& conn) -> absl::Status {
    RETURN_IF_ERROR(
        conn.Query("DELETE FROM pending_enrollments WHERE expires_at_us <= $1", expired_before)
            .status());
    return conn.Query(upsert, params).status();
  });
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat("enrollment id ", p.enrollment_id,
                                                 " is taken by another host's pending enrollment"));
  }
  return s;
}

absl::StatusOr<PendingEnrollment> SqlStore::TakePendingEnrollment(const std::string& enrollment_id,
                                                                  absl::Time now) {
  // One statement removes and returns the row: of two concurrent takers, one gets it.
  const SqlParam params[] = {enrollment_id};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query(absl::StrCat("DELETE FROM pending_enrollments WHERE enrollment_id = $1"
                                      " RETURNING ",
                                      kPendingColumns),
                         params));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "no pending enrollment ", enrollment_id,
        " (never started, already completed, or replaced by a newer one): start a new one"));
  }
  PendingEnrollment p = PendingFromRow(rows.front());
  if (now >= p.expires_at) {
    return absl::NotFoundError(absl::StrCat("enrollment ", enrollment_id, " of host ", p.host_id,
                                            " expired at ", TimeText(p.expires_at),
                                            ": start a new one"));
  }
  return p;
}

absl::Status SqlStore::CheckBinding(const Host& host) {
  RETURN_IF_ERROR(ValidateHost(host));
  ASSIGN_OR_RETURN(ConnectionPool::Lease conn, pool_.Acquire());
  return JudgeBinding(*conn, host, /*lock=*/false).status();
}

absl::Status SqlStore::BindEnrolledHost(const Host& host) {
  RETURN_IF_ERROR(ValidateHost(host));
  // On PostgreSQL two first enrollments of one new host (or of two hosts with one TPM) both
  // find nothing to lock; the second INSERT then fails on the first one's unique key once it
  // commits. The next attempt reads that row and judges the second enrollment against it.
  // (SQLite's BEGIN IMMEDIATE serialises them.)
  constexpr int kAttempts = 3;
  absl::Status status;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    status = InWriteTransaction([&](SqlConnection& conn) { return BindInTransaction(conn, host); });
    if (!absl::IsAlreadyExists(status)) return status;
  }
  return absl::AbortedError(
      absl::StrCat("host ", host.host_id, ": too many concurrent enrollments: ", status.message()));
}

absl::Status SqlStore::RevokeHost(const std::string& host_id, const std::string& by,
                                  const std::string& reason, absl::Time at) {
  // A revocation also withdraws a re-enrollment an admin had allowed, and the AK stays revoked
  // whatever happens to the host later.
  const SqlParam params[] = {host_id, std::string(kHostRevoked), Micros(at), by, reason,
                             false,   std::string(kHostActive)};
  bool revoked = false;
  RETURN_IF_ERROR(InWriteTransaction([&](SqlConnection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        conn.Query("UPDATE hosts SET status = $2, status_changed_at_us = $3,"
                   " status_changed_by = $4, status_reason = $5, reenroll_allowed = $6,"
                   " reenroll_allowed_at_us = 0, reenroll_allowed_by = '',"
                   " reenroll_allowed_reason = '' WHERE host_id = $1 AND status = $7"
                   " RETURNING ak_name",
                   params));
    if (rows.empty()) return absl::OkStatus();
    revoked = true;
    const SqlParam ak[] = {Bytes{rows.front().Str(0)}, host_id, Micros(at), by, reason};
    return conn
        .Query(
            "INSERT INTO revoked_aks (ak_name, host_id, revoked_at_us, revoked_by, reason)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ak_name) DO NOTHING",
            ak)
        .status();
  }));
  if (revoked) return absl::OkStatus();
  ASSIGN_OR_RETURN(Host current, GetHost(host_id));  // NotFound for an unknown host
  return absl::FailedPreconditionError(
      absl::StrCat("host \"", host_id, "\" is already revoked (by ", current.status_changed_by,
                   " at ", TimeText(current.status_changed_at), ": ", current.status_reason, ")"));
}

absl::Status SqlStore::AllowReenroll(const std::string& host_id, const std::string& by,
                                     const std::string& reason, absl::Time at) {
  const SqlParam params[] = {host_id, true, Micros(at), by, reason};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query("UPDATE hosts SET reenroll_allowed = $2, reenroll_allowed_at_us = $3,"
                         " reenroll_allowed_by = $4, reenroll_allowed_reason = $5"
                         " WHERE host_id = $1 RETURNING host_id",
                         params));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("host \"", host_id, "\" is not registered"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SqlStore::AppendAudit(const AuditRecord& record) {
  RETURN_IF_ERROR(ValidateAudit(record));
  // Autocommit: its own transaction, durable when the statement returns.
  const SqlParam params[] = {Micros(record.at), record.actor,   record.role,   record.action,
                             record.host_id,    record.outcome, record.reason, record.details};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query("INSERT INTO audit_log (at_us, actor, role, action, host_id, outcome,"
                         " reason, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                         " RETURNING id",
                         params));
  if (rows.size() != 1) return absl::InternalError("audit insert returned no id");
  return rows.front().Int(0);
}

absl::StatusOr<AuditPage> SqlStore::ListAudit(const AuditFilter& filter) {
  ASSIGN_OR_RETURN(Paging paging,
                   ParsePaging(filter.page_size, filter.page_token, AuditFilter::kDefaultPageSize,
                               AuditFilter::kMaxPageSize));
  FilteredSelect select(absl::StrCat("SELECT ", kAuditColumns, " FROM audit_log"));
  if (!filter.host_id.empty()) select.Where("host_id =", filter.host_id);
  if (!filter.actor.empty()) select.Where("actor =", filter.actor);
  if (!filter.action.empty()) select.Where("action =", filter.action);
  if (!filter.outcome.empty()) select.Where("outcome =", filter.outcome);
  if (filter.since != absl::InfinitePast()) select.Where("at_us >=", Micros(filter.since));
  if (filter.until != absl::InfiniteFuture()) select.Where("at_us <", Micros(filter.until));
  select.NewestFirst(paging);

  ASSIGN_OR_RETURN(std::vector<SqlRow> rows, Query(select.sql(), select.params()));
  AuditPage page;
  const bool more = TrimToPage(rows, paging);
  page.records.reserve(rows.size());
  for (const SqlRow& row : rows) page.records.push_back(AuditFromRow(row));
  if (more) page.next_page_token = absl::StrCat(page.records.back().id);
  return page;
}

absl::StatusOr<std::optional<RevokedAk>> SqlStore::RevokedAkInfo(const std::string& ak_name) {
  ASSIGN_OR_RETURN(ConnectionPool::Lease conn, pool_.Acquire());
  return FindRevokedAk(*conn, ak_name);
}

absl::StatusOr<std::optional<ClockInfo>> SqlStore::HighestClockInfo(const std::string& ak_name) {
  const SqlParam params[] = {Bytes{ak_name}};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query("SELECT tpm_clock, reset_count, restart_count FROM tpm_counters"
                         " WHERE ak_name = $1",
                         params));
  if (rows.empty()) return std::optional<ClockInfo>();
  ClockInfo info;
  info.clock = static_cast<uint64_t>(rows[0].Int(0));
  info.reset_count = static_cast<uint32_t>(rows[0].Int(1));
  info.restart_count = static_cast<uint32_t>(rows[0].Int(2));
  return std::optional<ClockInfo>(info);
}

absl::StatusOr<int64_t> SqlStore::RecordRollback(const TpmRollback& r) {
  if (r.host_id.empty()) return absl::InvalidArgumentError("rollback has no host_id");
  if (r.code.empty()) return absl::InvalidArgumentError("rollback has no code");
  const SqlParam params[] = {r.host_id, Bytes{r.ak_name}, Micros(r.detected_at),
                             r.code,    r.seen,           r.allowed};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query("INSERT INTO tpm_rollbacks (host_id, ak_name, detected_at_us, code, seen,"
                         " allowed) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                         params));
  if (rows.size() != 1) return absl::InternalError("rollback insert returned no id");
  return rows.front().Int(0);
}

absl::StatusOr<std::vector<TpmRollback>> SqlStore::OpenRollbacks(const std::string& host_id) {
  const SqlParam params[] = {host_id};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query(absl::StrCat("SELECT ", kRollbackColumns,
                                      " FROM tpm_rollbacks WHERE host_id = $1 AND"
                                      " cleared_at_us = 0 ORDER BY id"),
                         params));
  std::vector<TpmRollback> open;
  open.reserve(rows.size());
  for (const SqlRow& row : rows) open.push_back(RollbackFromRow(row));
  return open;
}

absl::StatusOr<std::vector<TpmRollback>> SqlStore::ClearRollbacks(const std::string& host_id,
                                                                  const std::string& by,
                                                                  const std::string& reason,
                                                                  absl::Time at) {
  std::vector<TpmRollback> cleared;
  RETURN_IF_ERROR(InWriteTransaction([&](SqlConnection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(cleared, ClearRollbacksIn(conn, host_id, by, reason, at));
    if (cleared.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("host \"", host_id, "\" has no unacknowledged TPM rollback"));
    }
    return absl::OkStatus();
  }));
  return cleared;
}

absl::Status SqlStore::PruneHosts(std::span<const std::string> hosts, const RetentionPolicy& policy,
                                  absl::Time now, RetentionResult& result) {
  std::vector<SqlParam> params = {policy.keep_last, Micros(now - policy.keep_for),
                                  std::string(kTierAffirming), std::string(kTierContraindicated),
                                  kPruneBatch};
  params.insert(params.end(), hosts.begin(), hosts.end());
  absl::flat_hash_set<std::string> pruned;
  for (;;) {
    int64_t n = 0;
    RETURN_IF_ERROR(InWriteTransaction([&](SqlConnection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(std::vector<SqlRow> rows, conn.Query(kPruneHosts.For(hosts.size()), params));
      n = static_cast<int64_t>(rows.size());
      for (const SqlRow& row : rows) pruned.insert(row.Str(0));
      return absl::OkStatus();
    }));
    result.attestations += n;
    if (n < kPruneBatch) break;
  }
  result.hosts += static_cast<int64_t>(pruned.size());
  return absl::OkStatus();
}

absl::StatusOr<RetentionResult> SqlStore::ApplyRetention(const RetentionPolicy& policy,
                                                         absl::Time now) {
  RetentionResult result;
  if (policy.keep_last > 0 && policy.keep_for > absl::ZeroDuration()) {
    // Every host with attestations is a registered host (a foreign key): the hosts table lists
    // them without a pass over the attestations (a DISTINCT over 10 M rows took PostgreSQL
    // minutes after a bulk load).
    ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                     Query("SELECT host_id FROM hosts ORDER BY host_id", {}));
    std::vector<std::string> hosts;
    hosts.reserve(rows.size());
    for (const SqlRow& row : rows) hosts.push_back(row.Str(0));
    rows.clear();
    // A chunk of hosts per statement: one round trip and one transaction for up to 64 hosts
    // (one per host took PostgreSQL over 8 minutes for 1,000,000 hosts).
    for (size_t from = 0; from < hosts.size();) {
      const size_t n = ChunkRows(hosts.size() - from);
      RETURN_IF_ERROR(PruneHosts(std::span(hosts).subspan(from, n), policy, now, result));
      from += n;
    }
  }
  RETURN_IF_ERROR(InWriteTransaction([&](SqlConnection& conn) -> absl::Status {
    if (!conn.dialect().log_sweep_lock.empty()) {
      RETURN_IF_ERROR(conn.Exec(conn.dialect().log_sweep_lock));
    }
    ASSIGN_OR_RETURN(result.event_logs, DeleteUnreferencedLogs(conn));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<int> SqlStore::AddNotificationIfLatest(const Notification& event) {
  if (notification_urls_.empty()) return 0;
  int written = 0;
  RETURN_IF_ERROR(InWriteTransaction([&](SqlConnection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(written, InsertNotification(conn, event, notification_urls_, true));
    return absl::OkStatus();
  }));
  return written;
}

absl::StatusOr<std::vector<Notification>> SqlStore::ClaimNotifications(absl::Time now,
                                                                       absl::Duration lease,
                                                                       int max) {
  std::vector<Notification> claimed;
  RETURN_IF_ERROR(InWriteTransaction([&](SqlConnection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(claimed, ClaimDue(conn, now, lease, max));
    return absl::OkStatus();
  }));
  return claimed;
}

absl::Status SqlStore::FinishNotification(int64_t id, absl::Time now, const std::string& error,
                                          absl::Time retry_at) {
  return InWriteTransaction(
      [&](SqlConnection& conn) { return Finish(conn, id, now, error, retry_at); });
}

absl::StatusOr<int64_t> SqlStore::PendingNotifications() {
  ASSIGN_OR_RETURN(ConnectionPool::Lease conn, pool_.Acquire());
  return CountPending(*conn);
}

absl::StatusOr<std::vector<GroupEligibility>> SqlStore::CountHostsByEligibility(absl::Time now) {
  const SqlParam params[] = {Micros(now)};
  ASSIGN_OR_RETURN(
      std::vector<SqlRow> rows,
      Query(absl::StrCat(
                "SELECT COALESCE(a.host_group, h.host_group) AS grp,"
                " CASE WHEN a.placement_eligible AND a.expires_at_us > $1 THEN 1 ELSE 0 END AS ok,"
                " COUNT(*)",
                kHostsWithLatestAttestation, " GROUP BY grp, ok ORDER BY grp, ok"),
            params));
  std::vector<GroupEligibility> out;
  out.reserve(rows.size());
  for (const SqlRow& row : rows) out.push_back({row.Str(0), row.Int(1) != 0, row.Int(2)});
  return out;
}

absl::StatusOr<DurabilitySettings> SqlStore::Durability() {
  ASSIGN_OR_RETURN(ConnectionPool::Lease conn, pool_.Acquire());
  return conn->ReadDurability();
}

absl::Status SqlStore::CheckIntegrity() {
  ASSIGN_OR_RETURN(ConnectionPool::Lease conn, pool_.Acquire());
  RETURN_IF_ERROR(conn->CheckIntegrity());
  for (const Invariant& invariant : kInvariants) {
    ASSIGN_OR_RETURN(std::vector<SqlRow> rows, conn->Query(invariant.sql, {}));
    if (rows.size() != 1) return absl::InternalError("integrity check: no count row");
    if (rows[0].Int(0) != 0) {
      return absl::DataLossError(absl::StrCat(std::string(conn->dialect().name),
                                              " integrity check: ", rows[0].Int(0), " ",
                                              invariant.what));
    }
  }
  return absl::OkStatus();
}

}  // namespace bootgate::server::store::internal

namespace bootgate::server::store {

std::string RevokedAkMessage(const RevokedAk& revoked) {
  return absl::StrCat("AK sha256 ", revoked.ak_name.substr(0, internal::kFingerprintPrefix),
                      "… was revoked (host \"", revoked.host_id, "\", by ", revoked.revoked_by,
                      " at ", internal::TimeText(revoked.revoked_at), ": ", revoked.reason,
                      ") and is never bound again: enroll a new AK");
}

}  // namespace bootgate::server::store
