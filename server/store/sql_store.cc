#include "server/store/sql_store.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::server::store::internal {
namespace {

constexpr char kHostColumns[] =
    "host_id, host_group, ak_public, ak_name, registered_at_us, registered_by, trust_path";

// Attestation columns without the evidence blobs, then the evidence (AttestationFromRow).
constexpr char kAttestationColumns[] =
    "id, host_id, host_group, received_at_us, token_id, tier, placement_eligible, policy_name,"
    " policy_version, expires_at_us, verdict_jwt, findings_json, ak_name, tpm_clock, reset_count,"
    " restart_count";
constexpr char kEvidenceColumns[] = ", quote_msg, quote_sig, quote_pcrs, event_log";

constexpr char kInsertAttestation[] =
    "INSERT INTO attestations (host_id, host_group, received_at_us, token_id, tier,"
    " placement_eligible, policy_name, policy_version, expires_at_us, verdict_jwt, findings_json,"
    " ak_name, tpm_clock, reset_count, restart_count, quote_msg, quote_sig, quote_pcrs, event_log)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
    // A reused token inserts nothing (and returns no id) instead of aborting the whole batch.
    " ON CONFLICT (token_id) DO NOTHING RETURNING id";

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

Host HostFromRow(const SqlRow& row) {
  Host h;
  h.host_id = row.Str(0);
  h.group = row.Str(1);
  h.ak_public = row.Str(2);
  h.ak_name = row.Str(3);
  h.registered_at = absl::FromUnixMicros(row.Int(4));
  h.registered_by = row.Str(5);
  h.trust_path = row.Str(6);
  return h;
}

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
  if (row.size() > 16) {
    a.evidence.quote_msg = row.Str(16);
    a.evidence.quote_sig = row.Str(17);
    a.evidence.quote_pcrs = row.Str(18);
    a.evidence.event_log = row.Str(19);
  }
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
  return absl::IsAlreadyExists(s) || absl::IsFailedPrecondition(s) || absl::IsInvalidArgument(s);
}

absl::Status ValidateAttestation(const Attestation& a) {
  if (a.host_id.empty()) return absl::InvalidArgumentError("attestation has no host_id");
  if (a.token_id.empty()) return absl::InvalidArgumentError("attestation has no token_id");
  return absl::OkStatus();
}

}  // namespace

SqlStore::SqlStore(ConnectionPool::Factory factory, const StoreOptions& options,
                   int64_t schema_version)
    : pool_(std::move(factory), std::max(options.pool_size, 1)),
      batcher_([this](std::span<const Attestation* const> r) { return CommitBatch(r); },
               options.max_batch),
      schema_version_(schema_version) {}

absl::StatusOr<std::vector<SqlRow>> SqlStore::Query(std::string_view sql,
                                                    std::span<const SqlParam> params) {
  ASSIGN_OR_RETURN(ConnectionPool::Lease conn, pool_.Acquire());
  absl::StatusOr<std::vector<SqlRow>> rows = conn->Query(sql, params);
  // Busy, or the connection is gone: a fresh one next time.
  if (absl::IsUnavailable(rows.status())) conn.Discard();
  return rows;
}

absl::Status SqlStore::RegisterHost(const Host& host, bool replace) {
  if (host.host_id.empty()) return absl::InvalidArgumentError("host has no host_id");
  if (host.group.empty()) return absl::InvalidArgumentError("host has no group");
  const SqlParam params[] = {host.host_id,         host.group,
                             Bytes{host.ak_public}, Bytes{host.ak_name},
                             Micros(host.registered_at), host.registered_by,
                             host.trust_path};
  const std::string sql = absl::StrCat(
      "INSERT INTO hosts (", kHostColumns, ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
      replace ? " ON CONFLICT (host_id) DO UPDATE SET host_group = excluded.host_group,"
                " ak_public = excluded.ak_public, ak_name = excluded.ak_name,"
                " registered_at_us = excluded.registered_at_us,"
                " registered_by = excluded.registered_by, trust_path = excluded.trust_path"
              : "");
  absl::Status s = Query(sql, params).status();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(
        absl::StrCat("host ", host.host_id, " is already registered (replace it explicitly)"));
  }
  return s;
}

absl::StatusOr<Host> SqlStore::GetHost(const std::string& host_id) {
  const SqlParam params[] = {host_id};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query(absl::StrCat("SELECT ", kHostColumns, " FROM hosts WHERE host_id = $1"),
                         params));
  if (rows.empty()) return absl::NotFoundError(absl::StrCat("host ", host_id, " is not registered"));
  return HostFromRow(rows[0]);
}

absl::StatusOr<std::vector<Host>> SqlStore::ListHosts() {
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query(absl::StrCat("SELECT ", kHostColumns, " FROM hosts ORDER BY host_id"), {}));
  std::vector<Host> hosts;
  hosts.reserve(rows.size());
  for (const SqlRow& row : rows) hosts.push_back(HostFromRow(row));
  return hosts;
}

absl::StatusOr<int64_t> SqlStore::RecordAttestation(const Attestation& record) {
  RETURN_IF_ERROR(ValidateAttestation(record));
  return batcher_.Submit(record);
}

absl::StatusOr<std::vector<absl::StatusOr<int64_t>>> SqlStore::TryCommitBatch(
    SqlConnection& conn, std::span<const Attestation* const> records) {
  RETURN_IF_ERROR(conn.Exec(conn.dialect().begin_write));
  std::vector<absl::StatusOr<int64_t>> results;
  results.reserve(records.size());
  absl::Status batch_error;
  for (const Attestation* a : records) {
    const SqlParam params[] = {a->host_id,
                               a->group,
                               Micros(a->received_at),
                               Bytes{a->token_id},
                               a->tier,
                               a->placement_eligible,
                               a->policy_name,
                               a->policy_version,
                               Micros(a->expires_at),
                               a->verdict_jwt,
                               a->findings_json,
                               Bytes{a->ak_name},
                               static_cast<int64_t>(a->clock_info.clock),
                               static_cast<int64_t>(a->clock_info.reset_count),
                               static_cast<int64_t>(a->clock_info.restart_count),
                               Bytes{a->evidence.quote_msg},
                               Bytes{a->evidence.quote_sig},
                               Bytes{a->evidence.quote_pcrs},
                               Bytes{a->evidence.event_log}};
    batch_error = conn.Exec("SAVEPOINT record");
    if (!batch_error.ok()) break;
    absl::StatusOr<std::vector<SqlRow>> rows = conn.Query(kInsertAttestation, params);
    if (rows.ok() && rows->size() == 1) {
      results.push_back(rows->front().Int(0));
      batch_error = conn.Exec("RELEASE SAVEPOINT record");
    } else if (rows.ok() || IsRecordError(rows.status())) {
      results.push_back(
          rows.ok() ? absl::AlreadyExistsError(absl::StrCat(
                          "challenge token of host ", a->host_id, " was already used"))
          : absl::IsFailedPrecondition(rows.status())
              ? absl::FailedPreconditionError(
                    absl::StrCat("host ", a->host_id, " is not registered"))
              : rows.status());
      batch_error = conn.Exec("ROLLBACK TO SAVEPOINT record; RELEASE SAVEPOINT record");
    } else {
      batch_error = rows.status();
    }
    if (!batch_error.ok()) break;
  }
  if (batch_error.ok()) batch_error = conn.Exec("COMMIT");
  if (!batch_error.ok()) {
    (void)conn.Exec("ROLLBACK");  // best effort: the batch's own error is the one to report
    return batch_error;
  }
  return results;
}

std::vector<absl::StatusOr<int64_t>> SqlStore::CommitBatch(
    std::span<const Attestation* const> records) {
  absl::StatusOr<std::vector<absl::StatusOr<int64_t>>> results = [&]() {
    absl::StatusOr<ConnectionPool::Lease> conn = pool_.Acquire();
    if (!conn.ok()) return absl::StatusOr<std::vector<absl::StatusOr<int64_t>>>(conn.status());
    auto r = TryCommitBatch(**conn, records);
    if (!r.ok()) conn->Discard();  // the transaction's state on this connection is unknown
    return r;
  }();
  if (results.ok()) return *std::move(results);
  if (records.size() > 1 && absl::IsUnavailable(results.status())) {
    // A busy database or a deadlock between replicas' batches: nothing of this batch was
    // committed, so each record gets its own transaction.
    std::vector<absl::StatusOr<int64_t>> each;
    each.reserve(records.size());
    for (size_t i = 0; i < records.size(); ++i) each.push_back(CommitBatch(records.subspan(i, 1))[0]);
    return each;
  }
  return std::vector<absl::StatusOr<int64_t>>(records.size(), results.status());
}

absl::StatusOr<Attestation> SqlStore::LatestAttestation(const std::string& host_id) {
  const SqlParam params[] = {host_id};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query(absl::StrCat("SELECT ", kAttestationColumns, kEvidenceColumns,
                                      " FROM attestations WHERE host_id = $1"
                                      " ORDER BY id DESC LIMIT 1"),
                         params));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("host ", host_id, " has no attestation"));
  }
  return AttestationFromRow(rows[0]);
}

absl::StatusOr<Attestation> SqlStore::GetAttestation(int64_t id) {
  const SqlParam params[] = {id};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query(absl::StrCat("SELECT ", kAttestationColumns, kEvidenceColumns,
                                      " FROM attestations WHERE id = $1"),
                         params));
  if (rows.empty()) return absl::NotFoundError(absl::StrCat("no attestation with id ", id));
  return AttestationFromRow(rows[0]);
}

absl::StatusOr<Attestation> SqlStore::GetAttestationByToken(const std::string& token_id) {
  const SqlParam params[] = {Bytes{token_id}};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query(absl::StrCat("SELECT ", kAttestationColumns, kEvidenceColumns,
                                      " FROM attestations WHERE token_id = $1"),
                         params));
  if (rows.empty()) return absl::NotFoundError("no attestation with that id");
  return AttestationFromRow(rows[0]);
}

absl::StatusOr<AttestationPage> SqlStore::ListAttestations(const AttestationFilter& filter) {
  if (filter.page_size < 0) return absl::InvalidArgumentError("negative page size");
  const int page_size =
      filter.page_size == 0 ? AttestationFilter::kDefaultPageSize
                            : std::min(filter.page_size, AttestationFilter::kMaxPageSize);
  // The page token is the id of the last attestation of the previous page.
  int64_t before_id = 0;
  if (!filter.page_token.empty() &&
      (!absl::SimpleAtoi(filter.page_token, &before_id) || before_id <= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed page token \"", filter.page_token, "\""));
  }
  // Only the conditions vary; every value is a bound parameter.
  std::string sql = absl::StrCat("SELECT ", kAttestationColumns,
                                 filter.include_evidence ? kEvidenceColumns : "",
                                 " FROM attestations WHERE 1 = 1");
  std::vector<SqlParam> params;
  auto where = [&](const char* condition, auto value) {
    params.emplace_back(std::in_place_type<decltype(value)>, std::move(value));
    absl::StrAppend(&sql, " AND ", condition, " $", params.size());
  };
  if (!filter.host_id.empty()) where("host_id =", filter.host_id);
  if (!filter.group.empty()) where("host_group =", filter.group);
  if (!filter.tier.empty()) where("tier =", filter.tier);
  if (filter.since != absl::InfinitePast()) where("received_at_us >=", Micros(filter.since));
  if (filter.until != absl::InfiniteFuture()) where("received_at_us <", Micros(filter.until));
  if (before_id > 0) where("id <", before_id);
  params.emplace_back(std::in_place_type<int64_t>, int64_t{page_size} + 1);  // one more: is there a next page?
  absl::StrAppend(&sql, " ORDER BY id DESC LIMIT $", params.size());

  ASSIGN_OR_RETURN(std::vector<SqlRow> rows, Query(sql, params));
  AttestationPage page;
  const bool more = rows.size() > static_cast<size_t>(page_size);
  if (more) rows.erase(rows.begin() + page_size, rows.end());
  page.attestations.reserve(rows.size());
  for (const SqlRow& row : rows) page.attestations.push_back(AttestationFromRow(row));
  if (more) page.next_page_token = absl::StrCat(page.attestations.back().id);
  return page;
}

absl::StatusOr<int64_t> SqlStore::PutPolicy(const PolicyVersion& policy) {
  if (policy.name.empty()) return absl::InvalidArgumentError("policy has no name");
  if (policy.version < 0) return absl::InvalidArgumentError("negative policy version");
  if (policy.version > 0) {
    const SqlParam params[] = {policy.name, policy.version, policy.text,
                               Micros(policy.created_at), policy.created_by};
    absl::Status s = Query("INSERT INTO policies (name, version, text, created_at_us, created_by)"
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
    absl::StatusOr<std::vector<SqlRow>> rows =
        Query("INSERT INTO policies (name, version, text, created_at_us, created_by)"
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
  return absl::AbortedError(absl::StrCat("policy ", policy.name,
                                         ": too many concurrent writers: ", last.message()));
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
    return absl::NotFoundError(
        version.has_value() ? absl::StrCat("policy ", name, " has no version ", *version)
                            : absl::StrCat("no policy named ", name));
  }
  return PolicyFromRow(rows->front());
}

absl::StatusOr<std::optional<ClockInfo>> SqlStore::LastClockInfo(const std::string& host_id,
                                                                 const std::string& ak_name) {
  const SqlParam params[] = {host_id, Bytes{ak_name}};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   Query("SELECT tpm_clock, reset_count, restart_count FROM attestations"
                         " WHERE host_id = $1 AND ak_name = $2 ORDER BY id DESC LIMIT 1",
                         params));
  if (rows.empty()) return std::optional<ClockInfo>();
  ClockInfo info;
  info.clock = static_cast<uint64_t>(rows[0].Int(0));
  info.reset_count = static_cast<uint32_t>(rows[0].Int(1));
  info.restart_count = static_cast<uint32_t>(rows[0].Int(2));
  return std::optional<ClockInfo>(info);
}

absl::StatusOr<DurabilitySettings> SqlStore::Durability() {
  ASSIGN_OR_RETURN(ConnectionPool::Lease conn, pool_.Acquire());
  return conn->ReadDurability();
}

absl::Status SqlStore::CheckIntegrity() {
  ASSIGN_OR_RETURN(ConnectionPool::Lease conn, pool_.Acquire());
  return conn->CheckIntegrity();
}

}  // namespace bootgate::server::store::internal
