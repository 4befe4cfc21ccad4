// PostgreSQL backend of SqlConnection over plain libpq (PQexecParams: every value a bound
// parameter). Each connection sets synchronous_commit=on and checks it took, so a COMMIT
// returns only once the transaction's WAL is flushed.
#ifndef BOOTGATE_SERVER_STORE_POSTGRES_CONNECTION_H_
#define BOOTGATE_SERVER_STORE_POSTGRES_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/store/sql_connection.h"

namespace bootgate::server::store::internal {

// Connects with a libpq connection string (URI or keyword=value). Unavailable when the server
// cannot be reached or refuses the login; Internal when synchronous_commit cannot be set on.
absl::StatusOr<std::unique_ptr<SqlConnection>> OpenPostgresConnection(const std::string& conninfo);

}  // namespace bootgate::server::store::internal

#endif  // BOOTGATE_SERVER_STORE_POSTGRES_CONNECTION_H_
