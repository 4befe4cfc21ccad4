// The little a backend has to provide for SqlStore: run one parameterised statement, run a
// migration script, and its dialect's few differences. One connection is used by one thread at a
// time (ConnectionPool hands them out).
#ifndef BOOTGATE_SERVER_STORE_SQL_CONNECTION_H_
#define BOOTGATE_SERVER_STORE_SQL_CONNECTION_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/store/records.h"

namespace bootgate::server::store::internal {

// Raw bytes for a BLOB / BYTEA column (a plain std::string parameter is TEXT).
struct Bytes {
  std::string data;
};

// A statement parameter. Statements name them $1, $2, ... in both dialects (SQLite accepts
// "$1" as a named parameter; the SQLite backend binds by that name).
using SqlParam = std::variant<std::monostate, int64_t, bool, std::string, Bytes>;

// How the store writes an instant: microseconds since the Unix epoch (columns `*_us`).
inline int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// A result cell: NULL, an integer (SQLite INTEGER, PostgreSQL int2/4/8 and bool), or text/bytes.
using SqlValue = std::variant<std::monostate, int64_t, std::string>;

class SqlRow {
 public:
  explicit SqlRow(std::vector<SqlValue> cells) : cells_(std::move(cells)) {}
  size_t size() const { return cells_.size(); }
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(cells_.at(i)); }
  // 0 for NULL or a non-integer cell.
  int64_t Int(size_t i) const;
  // Text or bytes; empty for NULL or an integer cell.
  const std::string& Str(size_t i) const;

 private:
  std::vector<SqlValue> cells_;
};

// Differences between the two SQL dialects the store speaks.
struct Dialect {
  std::string_view name;            // migration directory: "sqlite" | "postgresql"
  std::string_view begin_write;     // starts a transaction that will write
  std::string_view migration_lock;  // serialises concurrent migrations (empty: begin_write does)
  // Appended to a SELECT inside a write transaction to lock the rows it reads until COMMIT
  // (empty: begin_write already locks the whole database).
  std::string_view lock_rows;
  // Stored event logs shared by attestations (evidence_log.h): a transaction that stores
  // attestations takes log_share_lock first (shared: writers do not wait for each other), the
  // one that deletes unreferenced logs takes log_sweep_lock (exclusive), so that a log a writer
  // found stored stays until that writer commits. Empty: begin_write serialises them already.
  std::string_view log_share_lock;
  std::string_view log_sweep_lock;
  // Run inside the transaction that records attestations, with their ids ($1, text: "12,13"):
  // tells the other replicas at commit (Store::FollowAttestations). Empty: nobody else writes.
  std::string_view notify_recorded = {};
  // Concurrent reads of hosts go as one query (SqlStore's host_reads_): where each statement is
  // a round trip to a server process, not where reads are in-process calls (SQLite).
  bool group_reads = false;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual const Dialect& dialect() const = 0;
  // Runs one statement with bound parameters; returns its rows (none for statements without
  // RETURNING). AlreadyExists for a unique-key violation, FailedPrecondition for a foreign-key
  // violation, Unavailable when the database is busy or unreachable, Internal otherwise.
  virtual absl::StatusOr<std::vector<SqlRow>> Query(std::string_view sql,
                                                    std::span<const SqlParam> params) = 0;
  // Runs a script of statements without parameters (migrations, BEGIN/COMMIT).
  virtual absl::Status Exec(std::string_view script) = 0;
  virtual absl::StatusOr<DurabilitySettings> ReadDurability() = 0;
  // DataLoss naming the inconsistency, if any.
  virtual absl::Status CheckIntegrity() = 0;
  // True when the connection is known to be unusable without a round trip: the server closed
  // it while it sat idle in the pool (a database restart, a failover, an idle timeout). The
  // pool drops such a connection instead of lending it, so that no call pays for it.
  virtual bool Broken() { return false; }
};

}  // namespace bootgate::server::store::internal

#endif  // BOOTGATE_SERVER_STORE_SQL_CONNECTION_H_
