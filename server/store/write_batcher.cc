#include "server/store/write_batcher.h"

#include <algorithm>

#include "absl/status/status.h"

namespace bootgate::server::store::internal {

absl::StatusOr<int64_t> WriteBatcher::Submit(const Attestation& record) {
  Pending mine{&record, std::nullopt};
  std::unique_lock lock(mu_);
  queue_.push_back(&mine);
  while (!mine.result.has_value()) {
    if (committing_) {
      cv_.wait(lock);
      continue;
    }
    // Lead one batch: the oldest waiting records, which may or may not include ours (if more
    // than max_batch are queued ahead of it, the loop leads or waits for the next batch).
    committing_ = true;
    const size_t n = std::min(queue_.size(), static_cast<size_t>(std::max(max_batch_, 1)));
    std::vector<Pending*> batch(queue_.begin(), queue_.begin() + n);
    queue_.erase(queue_.begin(), queue_.begin() + n);
    std::vector<const Attestation*> records;
    records.reserve(n);
    for (const Pending* p : batch) records.push_back(p->record);

    lock.unlock();
    std::vector<absl::StatusOr<int64_t>> results = commit_(records);
    lock.lock();

    for (size_t i = 0; i < n; ++i) {
      batch[i]->result = i < results.size()
                             ? std::move(results[i])
                             : absl::StatusOr<int64_t>(absl::InternalError(
                                   "group commit returned fewer results than records"));
    }
    ++stats_.batches;
    stats_.records += static_cast<int64_t>(n);
    committing_ = false;
    cv_.notify_all();
  }
  return *std::move(mine.result);
}

WriteStats WriteBatcher::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace bootgate::server::store::internal
