// A bounded pool of connections: Acquire() blocks while all are lent out, so at most `size`
// connections exist. A connection comes back with its lease; one that failed in a way that
// leaves it unusable is dropped with Lease::Discard() and replaced on demand.
#ifndef BOOTGATE_SERVER_STORE_CONNECTION_POOL_H_
#define BOOTGATE_SERVER_STORE_CONNECTION_POOL_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/store/sql_connection.h"

namespace bootgate::server::store::internal {

class ConnectionPool {
 public:
  using Factory = std::function<absl::StatusOr<std::unique_ptr<SqlConnection>>()>;

  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<SqlConnection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->Return(std::move(conn_));
    }
    SqlConnection& operator*() const { return *conn_; }
    SqlConnection* operator->() const { return conn_.get(); }
    // The connection is not returned to the pool (its slot is freed).
    void Discard() { conn_.reset(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<SqlConnection> conn_;
  };

  ConnectionPool(Factory factory, int size) : factory_(std::move(factory)), size_(size) {}

  // A connection, made by the factory when the pool has none idle and fewer than `size` exist.
  // The factory's error when it fails.
  absl::StatusOr<Lease> Acquire();

 private:
  void Return(std::unique_ptr<SqlConnection> conn);

  Factory factory_;
  const int size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<SqlConnection>> idle_;
  int open_ = 0;  // connections existing, idle or lent
};

}  // namespace bootgate::server::store::internal

#endif  // BOOTGATE_SERVER_STORE_CONNECTION_POOL_H_
