// Group commit: concurrent writers hand their records to one transaction, and each writer
// returns only after the transaction carrying its record has committed.
// No background thread: the first writer to find no commit in flight becomes the leader, takes
// every waiting record (up to max_batch) and commits them; the others wait on a condition
// variable and either find their result or lead the next batch.
#ifndef BOOTGATE_SERVER_STORE_WRITE_BATCHER_H_
#define BOOTGATE_SERVER_STORE_WRITE_BATCHER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "server/store/records.h"

namespace bootgate::server::store::internal {

class WriteBatcher {
 public:
  // Commits a batch in one transaction and returns one result per record, in order: the new id,
  // or the record's own error. It must not return before the commit is durable.
  using CommitFn =
      std::function<std::vector<absl::StatusOr<int64_t>>(std::span<const Attestation* const>)>;

  WriteBatcher(CommitFn commit, int max_batch)
      : commit_(std::move(commit)), max_batch_(max_batch) {}

  // Blocks until `record` is committed (or failed); returns CommitFn's result for it.
  absl::StatusOr<int64_t> Submit(const Attestation& record);

  WriteStats stats() const;

 private:
  struct Pending {
    const Attestation* record;
    std::optional<absl::StatusOr<int64_t>> result;
  };

  const CommitFn commit_;
  const int max_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending*> queue_;
  bool committing_ = false;
  WriteStats stats_;
};

}  // namespace bootgate::server::store::internal

#endif  // BOOTGATE_SERVER_STORE_WRITE_BATCHER_H_
