// The in-flight budget of Attest requests (issue 13 item 3), in request bytes: a request being
// received holds `per_read` (max_request_bytes: its size is unknown until its last byte), a
// received one its own size until its verdict is sent. Memory per attestation is a small
// multiple of its request (docs/performance.md "Memory bounds"), so the budget bounds what
// attestations in flight may take. Reads are also spread out: one per connection (so the
// connection's byte count is the request's, connection_bytes.h), and one caller may hold all
// reads but one, so that a caller trickling requests cannot hold every read slot.
// Not thread-safe: its one user (attest_receiver) holds a lock.
#ifndef BOOTGATE_SERVER_BOOTGATED_REQUEST_BUDGET_H_
#define BOOTGATE_SERVER_BOOTGATED_REQUEST_BUDGET_H_

#include <cstdint>
#include <map>
#include <string>

namespace bootgate::service {

class RequestBudget {
 public:
  // `total` >= `per_read` > 0.
  RequestBudget(uint64_t total, uint64_t per_read);

  // Starts a read for `caller` on `connection` when the budget, the caller's share and the
  // connection allow it (holding per_read bytes); false otherwise, holding nothing.
  bool TryStartRead(const std::string& caller, const std::string& connection);

  // The read ended: per_read is given back and `keep` bytes (at most per_read: the received
  // request, or 0 when the read failed) are held until Release(keep).
  void EndRead(const std::string& caller, const std::string& connection, uint64_t keep);
  void Release(uint64_t bytes);

  uint64_t in_use() const { return in_use_; }
  uint64_t total() const { return total_; }
  // How many reads may run at once, and how many of them one caller may hold.
  int max_reads() const { return static_cast<int>(total_ / per_read_); }
  int max_reads_per_caller() const { return max_reads() > 1 ? max_reads() - 1 : 1; }

 private:
  const uint64_t total_;
  const uint64_t per_read_;
  uint64_t in_use_ = 0;
  std::map<std::string, int> reads_by_caller_;
  std::map<std::string, int> reads_by_connection_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_REQUEST_BUDGET_H_
