#include "server/store/postgres_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::server::store::internal {
namespace {

constexpr Dialect kPostgresDialect = {
    .name = "postgresql",
    .begin_write = "BEGIN",
    // Two replicas starting together must not both create the tables.
    .migration_lock = "SELECT pg_advisory_xact_lock(7268736731)",
    .lock_rows = " FOR UPDATE",
    .log_share_lock = "SELECT pg_advisory_xact_lock_shared(7268736732)",
    .log_sweep_lock = "SELECT pg_advisory_xact_lock(7268736732)",
    .notify_recorded = "SELECT pg_notify('bootgate_attestations', $1)",
    .group_reads = true,
};

// Type OIDs (pg_type.h) of the result columns the store reads.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string_view ErrorField(const PGresult* res, int field) {
  const char* v = PQresultErrorField(res, field);
  return v == nullptr ? std::string_view() : std::string_view(v);
}

absl::Status ResultError(PGconn* conn, const PGresult* res, std::string_view what) {
  if (PQstatus(conn) == CONNECTION_BAD) {
    return absl::UnavailableError(absl::StrCat("postgresql: ", std::string(what),
                                               ": connection lost: ", PQerrorMessage(conn)));
  }
  const std::string_view state = ErrorField(res, PG_DIAG_SQLSTATE);
  std::string msg = absl::StrCat("postgresql: ", std::string(what), ": ",
                                 std::string(ErrorField(res, PG_DIAG_MESSAGE_PRIMARY)),
                                 " (SQLSTATE ", std::string(state), ")");
  if (state == "23505") return absl::AlreadyExistsError(msg);       // unique_violation
  if (state == "23503") return absl::FailedPreconditionError(msg);  // foreign_key_violation
  // serialization_failure, deadlock_detected, connection exceptions, admin shutdown...
  if (state == "40001" || state == "40P01" || state.starts_with("08") || state.starts_with("57")) {
    return absl::UnavailableError(msg);
  }
  if (state.starts_with("XX")) return absl::DataLossError(msg);
  return absl::InternalError(msg);
}

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}

  const Dialect& dialect() const override { return kPostgresDialect; }

  absl::StatusOr<std::vector<SqlRow>> Query(std::string_view sql,
                                            std::span<const SqlParam> params) override {
    // Text format for everything but bytea, which goes as binary (no escaping to get wrong).
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size());
    std::vector<int> lengths(params.size());
    std::vector<int> formats(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      const SqlParam& p = params[i];
      if (std::holds_alternative<std::monostate>(p)) {
        values[i] = nullptr;
        continue;
      }
      if (const auto* v = std::get_if<int64_t>(&p)) {
        text[i] = absl::StrCat(*v);
      } else if (const auto* b = std::get_if<bool>(&p)) {
        text[i] = *b ? "true" : "false";
      } else if (const auto* s = std::get_if<std::string>(&p)) {
        text[i] = *s;
      } else if (const auto* bytes = std::get_if<Bytes>(&p)) {
        text[i] = bytes->data;
        formats[i] = 1;
      }
      values[i] = text[i].data();
      lengths[i] = static_cast<int>(text[i].size());
    }
    ASSIGN_OR_RETURN(const std::string* prepared, Prepared(sql, static_cast<int>(params.size())));
    ResultPtr res(
        prepared != nullptr
            ? PQexecPrepared(conn_.get(), prepared->c_str(), static_cast<int>(params.size()),
                             values.data(), lengths.data(), formats.data(), /*resultFormat=*/0)
            : PQexecParams(conn_.get(), std::string(sql).c_str(), static_cast<int>(params.size()),
                           nullptr, values.data(), lengths.data(), formats.data(),
                           /*resultFormat=*/0));
    const ExecStatusType st = res == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(res.get());
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      return ResultError(conn_.get(), res.get(), "query");
    }
    std::vector<SqlRow> rows;
    const int nrows = PQntuples(res.get());
    const int ncols = PQnfields(res.get());
    rows.reserve(nrows);
    for (int r = 0; r < nrows; ++r) {
      std::vector<SqlValue> cells;
      cells.reserve(ncols);
      for (int c = 0; c < ncols; ++c) {
        ASSIGN_OR_RETURN(SqlValue cell, Cell(res.get(), r, c));
        cells.push_back(std::move(cell));
      }
      rows.emplace_back(std::move(cells));
    }
    return rows;
  }

  absl::Status Exec(std::string_view script) override {
    const std::string text(script);
    ResultPtr res(PQexec(conn_.get(), text.c_str()));
    const ExecStatusType st = res == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(res.get());
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      return ResultError(conn_.get(), res.get(), "exec");
    }
    return absl::OkStatus();
  }

  bool Broken() override {
    if (PQstatus(conn_.get()) == CONNECTION_BAD) return true;
    // A server that ends an idle session (restart, failover, idle timeout) sends a FATAL
    // message and closes the socket; libpq notices only when the next statement reads. An idle
    // connection has nothing to read: anything there (that message, EOF, rarely a notice)
    // makes it not worth keeping. poll() without waiting: no round trip.
    pollfd p{.fd = PQsocket(conn_.get()), .events = POLLIN | POLLRDHUP, .revents = 0};
    return p.fd < 0 || poll(&p, 1, 0) != 0;
  }

  absl::StatusOr<DurabilitySettings> ReadDurability() override {
    DurabilitySettings settings;
    settings.backend = "postgresql";
    for (const char* name : {"synchronous_commit", "fsync"}) {
      ASSIGN_OR_RETURN(std::vector<SqlRow> rows, Query(absl::StrCat("SHOW ", name), {}));
      if (rows.size() != 1) return absl::InternalError(absl::StrCat("SHOW ", name, ": no row"));
      settings.values[name] = rows[0].Str(0);
    }
    settings.durable =
        settings.values["synchronous_commit"] == "on" && settings.values["fsync"] == "on";
    return settings;
  }

  absl::Status CheckIntegrity() override {
    // Invariants the constraints should already guarantee; a violation means corruption (or a
    // constraint someone dropped).
    struct Check {
      const char* what;
      const char* sql;
    };
    static constexpr Check kChecks[] = {
        {"attestations of unregistered hosts",
         "SELECT COUNT(*) FROM attestations a LEFT JOIN hosts h ON h.host_id = a.host_id"
         " WHERE h.host_id IS NULL"},
        {"reused challenge tokens",
         "SELECT COUNT(*) FROM (SELECT token_id FROM attestations GROUP BY token_id"
         " HAVING COUNT(*) > 1) t"},
        {"duplicate policy versions",
         "SELECT COUNT(*) FROM (SELECT name, version FROM policies GROUP BY name, version"
         " HAVING COUNT(*) > 1) t"},
        {"invalid indexes",
         "SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
         " JOIN pg_namespace n ON n.oid = c.relnamespace"
         " WHERE n.nspname = current_schema() AND NOT i.indisvalid"},
    };
    for (const Check& check : kChecks) {
      ASSIGN_OR_RETURN(std::vector<SqlRow> rows, Query(check.sql, {}));
      if (rows.size() != 1) return absl::InternalError("integrity check: no count row");
      if (rows[0].Int(0) != 0) {
        return absl::DataLossError(
            absl::StrCat("postgresql integrity check: ", rows[0].Int(0), " ", check.what));
      }
    }
    return absl::OkStatus();
  }

 private:
  // At most this many statements are prepared on one connection; the rest (a statement text
  // made from a request's filters can take many forms) are parsed and planned at each use.
  static constexpr size_t kMaxPrepared = 128;

  // The name of `sql` prepared on this connection (PQprepare at its first use), as SQLite's
  // statements are: PostgreSQL then parses and plans it once, not at every execution. nullptr
  // when kMaxPrepared are already prepared. Prepared statements outlive a rolled-back
  // transaction; a connection that broke is discarded, never reset, so they never go missing.
  // (A pooler in transaction mode, e.g. PgBouncer, must keep prepared statements per client:
  // PgBouncer 1.21's max_prepared_statements.)
  absl::StatusOr<const std::string*> Prepared(std::string_view sql, int n_params) {
    if (auto it = prepared_.find(absl::string_view(sql.data(), sql.size()));
        it != prepared_.end()) {
      return &it->second;
    }
    if (prepared_.size() >= kMaxPrepared) return nullptr;
    std::string name = absl::StrCat("bootgate_", prepared_.size() + 1);
    ResultPtr res(
        PQprepare(conn_.get(), name.c_str(), std::string(sql).c_str(), n_params, nullptr));
    if (res == nullptr || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      return ResultError(conn_.get(), res.get(), "prepare");
    }
    return &prepared_.emplace(std::string(sql), std::move(name)).first->second;
  }

  static absl::StatusOr<SqlValue> Cell(const PGresult* res, int r, int c) {
    if (PQgetisnull(res, r, c)) return std::monostate{};
    const char* v = PQgetvalue(res, r, c);
    const int len = PQgetlength(res, r, c);
    switch (PQftype(res, c)) {
      case kInt2Oid:
      case kInt4Oid:
      case kInt8Oid: {
        int64_t n = 0;
        if (!absl::SimpleAtoi(absl::string_view(v, len), &n)) {
          return absl::InternalError(absl::StrCat("postgresql: bad integer in column ", c));
        }
        return n;
      }
      case kBoolOid:
        return static_cast<int64_t>(len == 1 && v[0] == 't');
      case kByteaOid: {
        size_t size = 0;
        unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(v), &size);
        if (raw == nullptr) return absl::ResourceExhaustedError("postgresql: bytea decode");
        std::string out(reinterpret_cast<const char*>(raw), size);
        PQfreemem(raw);
        return out;
      }
      default:
        return std::string(v, len);
    }
  }

  std::unique_ptr<PGconn, ConnDeleter> conn_;
  absl::flat_hash_map<std::string, std::string> prepared_;  // SQL text -> name
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqlConnection>> OpenPostgresConnection(const std::string& conninfo) {
  PGconn* raw = PQconnectdb(conninfo.c_str());
  if (raw == nullptr) return absl::ResourceExhaustedError("postgresql: out of memory");
  auto conn = std::make_unique<PostgresConnection>(raw);
  if (PQstatus(raw) != CONNECTION_OK) {
    // The message may quote the conninfo's host and user, never its password.
    return absl::UnavailableError(
        absl::StrCat("postgresql: cannot connect: ", PQerrorMessage(raw)));
  }
  RETURN_IF_ERROR(conn->Exec("SET synchronous_commit = on"));
  ASSIGN_OR_RETURN(DurabilitySettings settings, conn->ReadDurability());
  if (settings.values["synchronous_commit"] != "on") {
    return absl::InternalError(absl::StrCat("postgresql: synchronous_commit is ",
                                            settings.values["synchronous_commit"],
                                            " after SET synchronous_commit = on"));
  }
  return conn;
}

}  // namespace bootgate::server::store::internal
