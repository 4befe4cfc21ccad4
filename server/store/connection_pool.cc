#include "server/store/connection_pool.h"

namespace bootgate::server::store::internal {

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire() {
  for (;;) {
    std::unique_ptr<SqlConnection> idle;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
      if (idle_.empty()) {
        ++open_;  // reserve the slot; connect outside the lock (it may take a network round trip)
        break;
      }
      idle = std::move(idle_.back());
      idle_.pop_back();
    }
    // After a database restart every idle connection is dead: drop each here (it frees its
    // slot) rather than fail the caller's statement on it.
    if (!idle->Broken()) return Lease(this, std::move(idle));
    Return(nullptr);
  }
  absl::StatusOr<std::unique_ptr<SqlConnection>> conn = factory_();
  if (!conn.ok()) {
    std::lock_guard lock(mu_);
    --open_;
    cv_.notify_one();
    return conn.status();
  }
  return Lease(this, *std::move(conn));
}

void ConnectionPool::Return(std::unique_ptr<SqlConnection> conn) {
  std::lock_guard lock(mu_);
  if (conn == nullptr) {
    --open_;
  } else {
    idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

}  // namespace bootgate::server::store::internal
