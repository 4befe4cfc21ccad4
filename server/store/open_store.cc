#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/store/migrations.h"
#include "server/store/sql_store.h"
#include "server/store/sqlite_connection.h"
#include "server/store/store.h"
#include "verifier/bytes/status_macros.h"
#ifdef BOOTGATE_HAVE_POSTGRES
#include "server/store/postgres_connection.h"
#include "server/store/postgres_listener.h"
#endif

namespace bootgate::server::store {
namespace {

constexpr std::string_view kSqliteScheme = "sqlite://";

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://") ||
         url.find('=') != std::string_view::npos;  // libpq keyword=value conninfo
}

absl::StatusOr<std::unique_ptr<Store>> OpenWith(internal::ConnectionPool::Factory factory,
                                                const StoreOptions& options,
                                                internal::SqlStore::FeedFactory feeds = nullptr) {
  ASSIGN_OR_RETURN(std::unique_ptr<internal::SqlConnection> conn, factory());
  ASSIGN_OR_RETURN(int64_t version, internal::Migrate(*conn, internal::EmbeddedMigrations()));
  const bool group_reads = conn->dialect().group_reads;
  return std::make_unique<internal::SqlStore>(std::move(factory), options, version, group_reads,
                                              std::move(feeds));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url,
                                                 const StoreOptions& options) {
  if (url.starts_with(kSqliteScheme)) {
    // sqlite:///var/lib/bootgate/bootgate.db -> /var/lib/bootgate/bootgate.db
    std::string path = url.substr(kSqliteScheme.size());
    if (path.empty()) return absl::InvalidArgumentError("store URL sqlite:// names no file");
    return OpenWith([path] { return internal::OpenSqliteConnection(path); }, options);
  }
  if (IsPostgresUrl(url)) {
#ifdef BOOTGATE_HAVE_POSTGRES
    // The channel the dialect's notify_recorded sends on (postgres_connection.cc).
    auto feeds = [url](FeedCallbacks callbacks) {
      // One NOTIFY per batch: "12,13,14" (sql_store.cc, NotifyRecorded).
      auto on_payload = [on_recorded =
                             std::move(callbacks.on_recorded)](const std::string& payload) {
        for (absl::string_view part : absl::StrSplit(payload, ',')) {
          int64_t id = 0;
          if (absl::SimpleAtoi(part, &id)) on_recorded(id);
        }
      };
      return internal::ListenPostgres(url, "bootgate_attestations", std::move(on_payload),
                                      std::move(callbacks.on_link));
    };
    return OpenWith([url] { return internal::OpenPostgresConnection(url); }, options, feeds);
#else
    return absl::InvalidArgumentError(
        "this bootgated was built without PostgreSQL support (BOOTGATE_POSTGRES=OFF)");
#endif
  }
  // Not echoed: a conninfo may carry a password.
  return absl::InvalidArgumentError(
      "unsupported store URL: use sqlite:///path/to/bootgate.db or postgresql://...");
}

}  // namespace bootgate::server::store
