#include "tests/unit/store/test_database.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "server/store/sqlite_connection.h"
#ifdef BOOTGATE_HAVE_POSTGRES
#include "server/store/postgres_connection.h"
#endif

namespace bootgate::server::store::testing {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::atomic<int> counter{0};

}  // namespace

TestDatabase::TestDatabase() {
  const int n = counter.fetch_add(1);
  const std::string backend = Env("BOOTGATE_TEST_STORE_BACKEND");
  if (backend.empty() || backend == "sqlite") {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bootgate-store-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir_ = tmpl;
    url_ = absl::StrCat("sqlite://", (dir_ / "bootgate.db").string());
    return;
  }
  REQUIRE(backend == "postgresql");
  postgres_ = true;
#ifdef BOOTGATE_HAVE_POSTGRES
  const std::string base = Env("BOOTGATE_TEST_POSTGRES_URL");
  REQUIRE(!base.empty());
  REQUIRE(base.find("://") == std::string::npos);  // keyword=value: dbname can be appended
  auto admin = internal::OpenPostgresConnection(base);
  REQUIRE(admin.ok());
  // Identifiers cannot be bound parameters; this one is made here from two integers.
  const std::string name = absl::StrCat("bootgate_test_", getpid(), "_", n);
  REQUIRE((*admin)->Exec(absl::StrCat("CREATE DATABASE ", name)).ok());
  url_ = absl::StrCat(base, " dbname=", name);  // libpq: the last dbname wins
#else
  FAIL("built without BOOTGATE_POSTGRES");
#endif
}

TestDatabase::~TestDatabase() {
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  // PostgreSQL test databases go with the throwaway server.
}

std::unique_ptr<Store> TestDatabase::Open(const StoreOptions& options) {
  auto store = OpenStore(url_, options);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}

std::unique_ptr<internal::SqlConnection> TestDatabase::Raw() {
  absl::StatusOr<std::unique_ptr<internal::SqlConnection>> conn = absl::InternalError("no backend");
  if (!postgres_) {
    conn = internal::OpenSqliteConnection(url_.substr(std::string_view("sqlite://").size()));
  } else {
#ifdef BOOTGATE_HAVE_POSTGRES
    conn = internal::OpenPostgresConnection(url_);
#endif
  }
  INFO(conn.status().ToString());
  REQUIRE(conn.ok());
  return *std::move(conn);
}

}  // namespace bootgate::server::store::testing
