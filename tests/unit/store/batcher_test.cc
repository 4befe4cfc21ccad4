// Group commit without a database: a fake commit that takes time shows that callers are
// grouped, bounded by max_batch, and released only after their batch's commit returned.
#include "server/store/batcher.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <latch>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"

namespace bootgate::server::store::internal {
namespace {

struct FakeDatabase {
  std::mutex mu;
  std::set<int64_t> committed;  // ids whose batch's commit has returned
  std::vector<size_t> batch_sizes;
  std::atomic<int> in_commit{0};
  std::atomic<int> max_concurrent_commits{0};

  std::vector<absl::StatusOr<int64_t>> Commit(std::span<const Attestation* const> records) {
    const int now = ++in_commit;
    int seen = max_concurrent_commits.load();
    while (now > seen && !max_concurrent_commits.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the fsync
    std::vector<absl::StatusOr<int64_t>> results;
    std::vector<int64_t> ids;
    for (const Attestation* a : records) {
      int64_t id = 0;
      if (a->token_id == "bad" || !absl::SimpleAtoi(a->token_id, &id)) {
        results.push_back(absl::AlreadyExistsError("token reused"));
      } else {
        results.push_back(id);
        ids.push_back(id);
      }
    }
    {
      std::lock_guard lock(mu);
      committed.insert(ids.begin(), ids.end());
      batch_sizes.push_back(records.size());
    }
    --in_commit;
    return results;
  }

  bool IsCommitted(int64_t id) {
    std::lock_guard lock(mu);
    return committed.count(id) == 1;
  }
};

TEST_CASE("group commit releases each caller only after its batch committed", "[store]") {
  FakeDatabase db;
  Batcher<Attestation> batcher([&](auto records) { return db.Commit(records); }, 64);
  constexpr int kThreads = 16;
  std::vector<absl::StatusOr<int64_t>> results(kThreads, absl::UnknownError("not run"));
  // One byte per caller: std::vector<bool> packs them into shared words, and threads setting
  // neighbouring bits at once would lose each other's writes.
  std::vector<char> committed_on_return(kThreads, 0);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Attestation a;
      a.token_id = std::to_string(i + 1);
      start.arrive_and_wait();
      results[i] = batcher.Submit(a);
      committed_on_return[i] = results[i].ok() && db.IsCommitted(*results[i]);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    REQUIRE(results[i].ok());
    CHECK(*results[i] == i + 1);  // each caller gets its own record's result
    CHECK(committed_on_return[i]);
  }
  const WriteStats stats = batcher.stats();
  CHECK(stats.records == kThreads);
  // While the first commit sleeps, the others queue up and share later transactions.
  CHECK(stats.batches < kThreads);
  CHECK(db.max_concurrent_commits == 1);  // one transaction at a time
}

TEST_CASE("group commit never puts more than max_batch records in a transaction", "[store]") {
  FakeDatabase db;
  Batcher<Attestation> batcher([&](auto records) { return db.Commit(records); }, 3);
  constexpr int kThreads = 12;
  std::latch start(kThreads);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Attestation a;
      a.token_id = std::to_string(100 + i);
      start.arrive_and_wait();
      ok += batcher.Submit(a).ok();
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == kThreads);
  for (size_t size : db.batch_sizes) CHECK(size <= 3);
  CHECK(batcher.stats().records == kThreads);
}

TEST_CASE("group commit gives a record's own error to its caller only", "[store]") {
  FakeDatabase db;
  Batcher<Attestation> batcher([&](auto records) { return db.Commit(records); }, 64);
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Attestation a;
      a.token_id = i % 4 == 0 ? "bad" : std::to_string(i);
      start.arrive_and_wait();
      results[i] = batcher.Submit(a).status();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    INFO(i);
    CHECK(absl::IsAlreadyExists(results[i]) == (i % 4 == 0));
    CHECK(results[i].ok() == (i % 4 != 0));
  }
}

TEST_CASE("group commit reports a commit that returned too few results", "[store]") {
  Batcher<Attestation> batcher([](auto) { return std::vector<absl::StatusOr<int64_t>>{}; }, 8);
  Attestation a;
  a.token_id = "1";
  CHECK(absl::IsInternal(batcher.Submit(a).status()));
}

}  // namespace
}  // namespace bootgate::server::store::internal
