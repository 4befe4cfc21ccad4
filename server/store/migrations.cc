#include "server/store/migrations.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/store/evidence_log.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::server::store::internal {
namespace {

// Same text in both dialects; BIGINT is an INTEGER in SQLite.
constexpr std::string_view kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version BIGINT PRIMARY KEY NOT NULL,"
    " applied_at_us BIGINT NOT NULL)";

// Steps a migration needs beyond SQL, run after its script in the same transaction, by file name
// (the same in both dialects).
struct DataStep {
  std::string_view migration;
  absl::Status (*run)(SqlConnection&);
};
constexpr DataStep kDataSteps[] = {
    {"0005_evidence_logs.sql", &MoveEventLogsToEvidenceLogs},
};

absl::Status RunDataSteps(SqlConnection& conn, const Migration& m) {
  for (const DataStep& step : kDataSteps) {
    if (step.migration == m.name) RETURN_IF_ERROR(step.run(conn));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CurrentVersion(SqlConnection& conn) {
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   conn.Query("SELECT COALESCE(MAX(version), 0) FROM schema_version", {}));
  if (rows.size() != 1) return absl::InternalError("schema_version: no MAX row");
  return rows[0].Int(0);
}

// One migration step, inside a transaction the caller opened. Returns the version reached.
absl::StatusOr<int64_t> MigrateLocked(SqlConnection& conn,
                                      const std::vector<const Migration*>& known) {
  RETURN_IF_ERROR(conn.Exec(kCreateVersionTable));
  ASSIGN_OR_RETURN(int64_t current, CurrentVersion(conn));
  const int64_t newest = known.empty() ? 0 : known.back()->version;
  if (current > newest) {
    return absl::FailedPreconditionError(absl::StrCat("database schema version ", current,
                                                      " is newer than this bootgated knows (",
                                                      newest, "): upgrade bootgated"));
  }
  for (const Migration* m : known) {
    if (m->version <= current) continue;
    absl::Status applied = conn.Exec(m->sql);
    if (applied.ok()) applied = RunDataSteps(conn, *m);
    if (!applied.ok()) {
      return absl::Status(applied.code(),
                          absl::StrCat("schema migration ", std::string(m->dialect), "/",
                                       std::string(m->name), ": ", applied.message()));
    }
    const SqlParam params[] = {m->version, absl::ToUnixMicros(absl::Now())};
    RETURN_IF_ERROR(
        conn.Query("INSERT INTO schema_version (version, applied_at_us) VALUES ($1, $2)", params)
            .status());
    current = m->version;
  }
  return current;
}

}  // namespace

int64_t NewestVersion(std::span<const Migration> migrations, std::string_view dialect) {
  int64_t newest = 0;
  for (const Migration& m : migrations) {
    if (m.dialect == dialect && m.version > newest) newest = m.version;
  }
  return newest;
}

absl::StatusOr<int64_t> Migrate(SqlConnection& conn, std::span<const Migration> migrations) {
  std::vector<const Migration*> known;
  for (const Migration& m : migrations) {
    if (m.dialect != conn.dialect().name) continue;
    if (m.version != static_cast<int64_t>(known.size()) + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("schema migrations of ", std::string(m.dialect),
                       " are not numbered 1, 2, ...: ", std::string(m.name)));
    }
    known.push_back(&m);
  }
  // All steps in one transaction: a crash mid-way leaves the previous version intact, and a
  // concurrent opener waits on the lock, then finds the work done.
  RETURN_IF_ERROR(conn.Exec(conn.dialect().begin_write));
  absl::StatusOr<int64_t> version = [&]() -> absl::StatusOr<int64_t> {
    if (!conn.dialect().migration_lock.empty()) {
      RETURN_IF_ERROR(conn.Exec(conn.dialect().migration_lock));
    }
    return MigrateLocked(conn, known);
  }();
  if (!version.ok()) {
    (void)conn.Exec("ROLLBACK");  // the migration's error is the one worth reporting
    return version.status();
  }
  RETURN_IF_ERROR(conn.Exec("COMMIT"));
  return version;
}

}  // namespace bootgate::server::store::internal
