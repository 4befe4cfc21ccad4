// Fresh, empty databases for the store test suite. The backend comes from the environment, so
// the same test binary runs on SQLite (default: a file in a temp dir) and on PostgreSQL
// (BOOTGATE_TEST_STORE_BACKEND=postgresql and BOOTGATE_TEST_POSTGRES_URL, a keyword=value libpq
// conninfo of a throwaway server: each test gets its own CREATE DATABASE).
#ifndef BOOTGATE_TESTS_UNIT_STORE_TEST_DATABASE_H_
#define BOOTGATE_TESTS_UNIT_STORE_TEST_DATABASE_H_

#include <filesystem>
#include <memory>
#include <string>

#include "server/store/sql_connection.h"
#include "server/store/store.h"

namespace bootgate::server::store::testing {

class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  bool is_postgres() const { return postgres_; }
  const std::string& url() const { return url_; }
  // "sqlite" | "postgresql": the migrations directory of the backend.
  std::string dialect() const { return postgres_ ? "postgresql" : "sqlite"; }
  // Opens a Store (a "replica") on this database; fails the test if it cannot.
  std::unique_ptr<Store> Open(const StoreOptions& options = {});
  // A raw connection, for tests that tamper with the database behind the store's back.
  std::unique_ptr<internal::SqlConnection> Raw();

 private:
  bool postgres_ = false;
  std::string url_;
  std::filesystem::path dir_;  // sqlite only
};

}  // namespace bootgate::server::store::testing

#endif  // BOOTGATE_TESTS_UNIT_STORE_TEST_DATABASE_H_
