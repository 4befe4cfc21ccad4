// SQLite backend of SqlConnection: one sqlite3 handle, opened in WAL mode with
// synchronous=FULL (a commit is on disk when COMMIT returns), foreign keys on and a busy timeout
// so that writers from other connections or processes wait instead of failing.
#ifndef BOOTGATE_SERVER_STORE_SQLITE_CONNECTION_H_
#define BOOTGATE_SERVER_STORE_SQLITE_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/store/sql_connection.h"

namespace bootgate::server::store::internal {

inline constexpr int kSqliteBusyTimeoutMs = 30000;

// Opens (creating) the database file at `path` and applies and checks the settings above.
// Unavailable when the file cannot be opened; Internal when a setting does not take (e.g. WAL
// refused on this file system).
absl::StatusOr<std::unique_ptr<SqlConnection>> OpenSqliteConnection(const std::string& path);

}  // namespace bootgate::server::store::internal

#endif  // BOOTGATE_SERVER_STORE_SQLITE_CONNECTION_H_
