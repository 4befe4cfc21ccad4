// Versioned schema migrations, embedded from server/store/migrations/<dialect>/NNNN_name.sql at
// build time. Each dialect has the same versions (the same schema, spelled for that database).
// A migration that moves data SQL cannot compute (0005: SHA-256, zlib) has a data step in C++,
// run after its script in the same transaction (migrations.cc).
// The schema_version table lists the versions applied.
#ifndef BOOTGATE_SERVER_STORE_MIGRATIONS_H_
#define BOOTGATE_SERVER_STORE_MIGRATIONS_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "server/store/sql_connection.h"

namespace bootgate::server::store::internal {

struct Migration {
  std::string_view dialect;  // "sqlite" | "postgresql"
  int64_t version;           // 1, 2, ... with no gaps
  std::string_view name;     // file name
  std::string_view sql;
};

// Every migration this build knows, sorted by dialect then version (generated code).
std::span<const Migration> EmbeddedMigrations();

// The newest version among `migrations` of `dialect` (0 if none).
int64_t NewestVersion(std::span<const Migration> migrations, std::string_view dialect);

// Brings the database to the newest version of conn.dialect() in `migrations`, in one transaction
// (with a schema_version row per step) so that a crash leaves the previous version; concurrent
// openers are serialised (SQLite: write lock; PostgreSQL: advisory lock). Returns the version the
// database is at. FailedPrecondition when the database is at a version newer than the newest known:
// "database schema version 7 is newer than this bootgated knows (1): upgrade bootgated".
// InvalidArgument when the versions of a dialect have gaps. A failing migration's error otherwise
// (and its transaction is rolled back).
absl::StatusOr<int64_t> Migrate(SqlConnection& conn, std::span<const Migration> migrations);

}  // namespace bootgate::server::store::internal

#endif  // BOOTGATE_SERVER_STORE_MIGRATIONS_H_
