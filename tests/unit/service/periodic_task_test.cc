// The background loop bootgated's retention and free-memory returner run on: once at start, again
// every interval, and stopped at destruction without waiting out the interval.
#include "server/bootgated/periodic_task.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "absl/time/clock.h"

namespace bootgate::service {
namespace {

// Waits up to 5 s for `runs` to reach `at_least`.
bool WaitForRuns(const std::atomic<int>& runs, int at_least) {
  for (int i = 0; i < 500 && runs.load() < at_least; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return runs.load() >= at_least;
}

TEST_CASE("a periodic task runs at start and again every interval", "[service][periodic]") {
  std::atomic<int> runs{0};
  {
    PeriodicTask task(absl::Milliseconds(5), [&] { ++runs; });
    CHECK(WaitForRuns(runs, 3));
  }
  const int at_stop = runs.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  CHECK(runs.load() == at_stop);  // no run after destruction
}

TEST_CASE("a periodic task stops without waiting out its interval", "[service][periodic]") {
  std::atomic<int> runs{0};
  const absl::Time start = absl::Now();
  {
    PeriodicTask task(absl::Hours(1), [&] { ++runs; });
    REQUIRE(WaitForRuns(runs, 1));
  }
  CHECK(runs.load() == 1);
  CHECK(absl::Now() - start < absl::Seconds(5));  // a bound on a hang, not a timing figure
}

}  // namespace
}  // namespace bootgate::service
