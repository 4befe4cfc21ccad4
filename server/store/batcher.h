// Group commit: concurrent writers hand their records to one transaction, and each writer
// returns only after the transaction carrying its record has committed. Grouped reads are the
// same shape: concurrent readers' keys go in one query, and each returns with its own rows.
// No background thread: the first writer to find no commit in flight becomes the leader, takes
// every waiting record (up to max_batch) and commits them; the others wait, each on its own
// condition variable, and are woken only for what concerns them: their result, or, for the
// oldest still queued, to lead the next batch. Every wake-up is a context switch; one shared
// condition variable woke every waiter at every commit.
#ifndef BOOTGATE_SERVER_STORE_BATCHER_H_
#define BOOTGATE_SERVER_STORE_BATCHER_H_

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/store/records.h"

namespace bootgate::server::store::internal {

// Record: what one caller hands over (SqlStore: an attestation with its encoded event log, or a
// host id to read); Result: what it gets back (the new id, or the host).
template <typename Record, typename Result = int64_t>
class Batcher {
 public:
  // Commits a batch in one transaction and returns one result per record, in order: the new id,
  // or the record's own error. It must not return before the commit is durable.
  using CommitFn =
      std::function<std::vector<absl::StatusOr<Result>>(std::span<const Record* const>)>;

  Batcher(CommitFn commit, int max_batch) : commit_(std::move(commit)), max_batch_(max_batch) {}

  // Blocks until `record` is committed (or failed); returns CommitFn's result for it.
  absl::StatusOr<Result> Submit(const Record& record);

  WriteStats stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }

 private:
  struct Pending {
    const Record* record;
    std::optional<absl::StatusOr<Result>> result;
    std::condition_variable woken;  // its result is set, or it is the next leader
  };

  const CommitFn commit_;
  const int max_batch_;
  mutable std::mutex mu_;
  std::deque<Pending*> queue_;
  bool committing_ = false;
  WriteStats stats_;
};

template <typename Record, typename Result>
absl::StatusOr<Result> Batcher<Record, Result>::Submit(const Record& record) {
  Pending mine{&record, std::nullopt, {}};
  std::unique_lock lock(mu_);
  queue_.push_back(&mine);
  while (!mine.result.has_value()) {
    if (committing_) {
      mine.woken.wait(lock);
      continue;
    }
    // Lead one batch: the oldest waiting records, which may or may not include ours (if more
    // than max_batch are queued ahead of it, the loop leads or waits for the next batch).
    committing_ = true;
    const size_t n = std::min(queue_.size(), static_cast<size_t>(std::max(max_batch_, 1)));
    std::vector<Pending*> batch(queue_.begin(), queue_.begin() + n);
    queue_.erase(queue_.begin(), queue_.begin() + n);
    std::vector<const Record*> records;
    records.reserve(n);
    for (const Pending* p : batch) records.push_back(p->record);

    lock.unlock();
    std::vector<absl::StatusOr<Result>> results = commit_(records);
    lock.lock();

    // Notified under mu_: a waiter returns (and its Pending goes) as soon as it sees its result.
    for (size_t i = 0; i < n; ++i) {
      batch[i]->result = i < results.size()
                             ? std::move(results[i])
                             : absl::StatusOr<Result>(absl::InternalError(
                                   "group commit returned fewer results than records"));
      if (batch[i] != &mine) batch[i]->woken.notify_one();
    }
    ++stats_.batches;
    stats_.records += static_cast<int64_t>(n);
    committing_ = false;
    // The oldest record still queued leads the next batch (it is in it). Ours still queued
    // (more than max_batch were ahead of it): this loop leads the next batch itself.
    if (mine.result.has_value() && !queue_.empty()) queue_.front()->woken.notify_one();
  }
  return *std::move(mine.result);
}

}  // namespace bootgate::server::store::internal

#endif  // BOOTGATE_SERVER_STORE_BATCHER_H_
