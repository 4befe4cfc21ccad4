#include "server/bootgated/request_budget.h"

#include <algorithm>

namespace bootgate::service {
namespace {

void Decrement(std::map<std::string, int>& counts, const std::string& key) {
  auto it = counts.find(key);
  if (it == counts.end()) return;
  if (--it->second <= 0) counts.erase(it);
}

}  // namespace

RequestBudget::RequestBudget(uint64_t total, uint64_t per_read)
    : total_(std::max(total, per_read)), per_read_(std::max<uint64_t>(per_read, 1)) {}

bool RequestBudget::TryStartRead(const std::string& caller, const std::string& connection) {
  if (total_ - in_use_ < per_read_) return false;
  if (reads_by_connection_.count(connection) > 0) return false;
  auto it = reads_by_caller_.find(caller);
  if (it != reads_by_caller_.end() && it->second >= max_reads_per_caller()) return false;
  in_use_ += per_read_;
  ++reads_by_caller_[caller];
  ++reads_by_connection_[connection];
  return true;
}

void RequestBudget::EndRead(const std::string& caller, const std::string& connection,
                            uint64_t keep) {
  Decrement(reads_by_caller_, caller);
  Decrement(reads_by_connection_, connection);
  in_use_ -= per_read_ - std::min(keep, per_read_);
}

void RequestBudget::Release(uint64_t bytes) { in_use_ -= std::min(bytes, in_use_); }

}  // namespace bootgate::service
