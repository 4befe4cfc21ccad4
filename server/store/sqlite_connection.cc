#include "server/store/sqlite_connection.h"

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::server::store::internal {
namespace {

constexpr Dialect kSqliteDialect = {
    .name = "sqlite",
    // IMMEDIATE takes the write lock up front: a deferred transaction that later tries to write
    // can fail with SQLITE_BUSY without the busy handler being consulted.
    .begin_write = "BEGIN IMMEDIATE",
    .migration_lock = "",
    .lock_rows = "",
    .log_share_lock = "",
    .log_sweep_lock = "",
};

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// Returns a prepared statement to its initial state (no row, no bindings, no read transaction)
// when it goes out of scope.
struct ResetOnExit {
  explicit ResetOnExit(sqlite3_stmt* s) : stmt(s) {}
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;
  ~ResetOnExit() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
  sqlite3_stmt* const stmt;
};

struct DbDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbDeleter>;

absl::Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  const int ext = sqlite3_extended_errcode(db);
  std::string msg = absl::StrCat("sqlite: ", std::string(what), ": ", sqlite3_errmsg(db));
  switch (ext) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return absl::AlreadyExistsError(msg);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return absl::FailedPreconditionError(msg);
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
      return absl::UnavailableError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    default:
      return absl::InternalError(msg);
  }
}

class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(DbPtr db) : db_(std::move(db)) {}

  const Dialect& dialect() const override { return kSqliteDialect; }

  absl::StatusOr<std::vector<SqlRow>> Query(std::string_view sql,
                                            std::span<const SqlParam> params) override {
    ASSIGN_OR_RETURN(const PreparedStatement* const prepared, Prepared(sql));
    sqlite3_stmt* const stmt = prepared->stmt.get();
    // Reset whatever happens: a statement left mid-step would keep its read transaction open.
    const ResetOnExit reset{stmt};
    RETURN_IF_ERROR(Bind(*prepared, params));
    std::vector<SqlRow> rows;
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const int n = sqlite3_column_count(stmt);
      std::vector<SqlValue> cells;
      cells.reserve(n);
      for (int i = 0; i < n; ++i) cells.push_back(Column(stmt, i));
      rows.emplace_back(std::move(cells));
    }
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "step");
    return rows;
  }

  absl::Status Exec(std::string_view script) override {
    const std::string text(script);  // sqlite3_exec wants a NUL-terminated string
    char* err = nullptr;
    const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, "exec");
    return absl::OkStatus();
  }

  absl::StatusOr<DurabilitySettings> ReadDurability() override {
    DurabilitySettings settings;
    settings.backend = "sqlite";
    for (const char* pragma : {"journal_mode", "synchronous", "foreign_keys", "busy_timeout"}) {
      ASSIGN_OR_RETURN(std::vector<SqlRow> rows, Query(absl::StrCat("PRAGMA ", pragma), {}));
      if (rows.size() != 1) return absl::InternalError(absl::StrCat("PRAGMA ", pragma, ": no row"));
      settings.values[pragma] =
          rows[0].IsNull(0)
              ? ""
              : (rows[0].Str(0).empty() ? absl::StrCat(rows[0].Int(0)) : rows[0].Str(0));
    }
    // synchronous 2 = FULL: the WAL is synced at every commit.
    settings.durable =
        settings.values["journal_mode"] == "wal" &&
        (settings.values["synchronous"] == "2" || settings.values["synchronous"] == "3");
    return settings;
  }

  absl::Status CheckIntegrity() override {
    ASSIGN_OR_RETURN(std::vector<SqlRow> rows, Query("PRAGMA integrity_check", {}));
    if (rows.size() != 1 || rows[0].Str(0) != "ok") {
      std::string problems;
      for (const SqlRow& row : rows)
        absl::StrAppend(&problems, problems.empty() ? "" : "; ", row.Str(0));
      return absl::DataLossError(absl::StrCat("sqlite integrity_check: ", problems));
    }
    ASSIGN_OR_RETURN(rows, Query("PRAGMA foreign_key_check", {}));
    if (!rows.empty()) {
      return absl::DataLossError(absl::StrCat("sqlite foreign_key_check: ", rows.size(),
                                              " rows reference missing parents (first in table ",
                                              rows[0].Str(0), ")"));
    }
    return absl::OkStatus();
  }

 private:
  // The statement for `sql`, prepared once per connection: the store runs the same few
  // statements over and over, and compiling one costs more than running a point read. At most
  // kPreparedStatements are kept (all dropped when full: statements built from filters vary).
  static constexpr size_t kPreparedStatements = 128;
  struct PreparedStatement {
    StmtPtr stmt;
    // SQLite's index of parameter $k at [k - 1], 0 where the text has no $k. Looked up once:
    // sqlite3_bind_parameter_index scans every name, so binding a multi-row INSERT's
    // hundreds of parameters by name at every call would cost their square.
    std::vector<int> index_of;
  };
  absl::StatusOr<const PreparedStatement*> Prepared(std::string_view sql) {
    std::string key(sql);
    if (auto it = prepared_.find(key); it != prepared_.end()) return &it->second;
    sqlite3_stmt* raw = nullptr;
    const int rc =
        sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    PreparedStatement prepared{StmtPtr(raw), {}};
    if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, "prepare");
    if (raw == nullptr) return absl::InternalError("sqlite: prepare: no statement in the text");
    for (int index = 1; index <= sqlite3_bind_parameter_count(raw); ++index) {
      const char* name = sqlite3_bind_parameter_name(raw, index);
      size_t k = 0;
      if (name == nullptr || name[0] != '$' || !absl::SimpleAtoi(name + 1, &k) || k == 0 ||
          k > static_cast<size_t>(sqlite3_limit(db_.get(), SQLITE_LIMIT_VARIABLE_NUMBER, -1))) {
        continue;  // not a $k parameter: never bound by Bind
      }
      if (prepared.index_of.size() < k) prepared.index_of.resize(k, 0);
      prepared.index_of[k - 1] = index;
    }
    if (prepared_.size() >= kPreparedStatements) prepared_.clear();
    return &prepared_.emplace(std::move(key), std::move(prepared)).first->second;
  }

  absl::Status Bind(const PreparedStatement& prepared, std::span<const SqlParam> params) {
    sqlite3_stmt* const stmt = prepared.stmt.get();
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = i < prepared.index_of.size() ? prepared.index_of[i] : 0;
      if (index == 0) {
        return absl::InternalError(absl::StrCat("sqlite: statement has no parameter $", i + 1));
      }
      int rc = SQLITE_OK;
      const SqlParam& p = params[i];
      if (std::holds_alternative<std::monostate>(p)) {
        rc = sqlite3_bind_null(stmt, index);
      } else if (const auto* v = std::get_if<int64_t>(&p)) {
        rc = sqlite3_bind_int64(stmt, index, *v);
      } else if (const auto* b = std::get_if<bool>(&p)) {
        rc = sqlite3_bind_int(stmt, index, *b ? 1 : 0);
      } else if (const auto* s = std::get_if<std::string>(&p)) {
        rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else if (const auto* bytes = std::get_if<Bytes>(&p)) {
        // A NULL pointer would bind SQL NULL; an empty blob is still a blob.
        rc = bytes->data.empty() ? sqlite3_bind_zeroblob(stmt, index, 0)
                                 : sqlite3_bind_blob64(stmt, index, bytes->data.data(),
                                                       bytes->data.size(), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, "bind");
    }
    return absl::OkStatus();
  }

  static SqlValue Column(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_NULL:
        return std::monostate{};
      case SQLITE_INTEGER:
        return static_cast<int64_t>(sqlite3_column_int64(stmt, i));
      default: {
        // Ask for the bytes first, then their length (SQLite's documented order).
        const void* data = sqlite3_column_blob(stmt, i);
        const int size = sqlite3_column_bytes(stmt, i);
        return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
      }
    }
  }

  DbPtr db_;
  // Declared after db_: finalized before the connection closes.
  std::unordered_map<std::string, PreparedStatement> prepared_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqlConnection>> OpenSqliteConnection(const std::string& path) {
  // Before SQLite initializes (the first open): no memory statistics, which SQLite otherwise
  // keeps behind one process-wide mutex taken by every allocation of every connection.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(
        absl::StrCat("sqlite: cannot open ", path, ": ",
                     raw != nullptr ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kSqliteBusyTimeoutMs);
  auto conn = std::make_unique<SqliteConnection>(std::move(db));
  RETURN_IF_ERROR(
      conn->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 " PRAGMA foreign_keys=ON;"));
  ASSIGN_OR_RETURN(DurabilitySettings settings, conn->ReadDurability());
  if (!settings.durable || settings.values["foreign_keys"] != "1") {
    return absl::InternalError(absl::StrCat(
        "sqlite: ", path, " refused the durability settings (journal_mode=",
        settings.values["journal_mode"], ", synchronous=", settings.values["synchronous"],
        ", foreign_keys=", settings.values["foreign_keys"], ")"));
  }
  return conn;
}

}  // namespace bootgate::server::store::internal
