#include "cli/agent_schedule.h"

#include <catch2/catch.hpp>

namespace bootgate::cli {
namespace {

// Expectations from the rule in agent_schedule.h: the interval after a verdict, 1 s doubling
// after consecutive failures up to the interval, each +-10%.
TEST_CASE("agent schedule: the interval after a verdict, jittered by 10%", "[agent_schedule]") {
  const absl::Duration interval = absl::Minutes(10);
  CHECK(NextAttestDelay(interval, 0, 0.5) == interval);
  CHECK(NextAttestDelay(interval, 0, 0.0) == absl::Seconds(540));
  CHECK(NextAttestDelay(interval, 0, 0.999999) > absl::Seconds(659));
  CHECK(NextAttestDelay(interval, 0, 0.999999) <= absl::Seconds(660));
}

TEST_CASE("agent schedule: failures retried after 1 s, 2 s, 4 s... up to the interval",
          "[agent_schedule]") {
  const absl::Duration interval = absl::Seconds(30);
  CHECK(NextAttestDelay(interval, 1, 0.5) == absl::Seconds(1));
  CHECK(NextAttestDelay(interval, 2, 0.5) == absl::Seconds(2));
  CHECK(NextAttestDelay(interval, 3, 0.5) == absl::Seconds(4));
  CHECK(NextAttestDelay(interval, 5, 0.5) == absl::Seconds(16));
  CHECK(NextAttestDelay(interval, 6, 0.5) == interval);
  CHECK(NextAttestDelay(interval, 1000, 0.5) == interval);
  CHECK(NextAttestDelay(interval, 1, 0.0) == absl::Milliseconds(900));
  // A short interval caps the first retry too.
  CHECK(NextAttestDelay(absl::Seconds(1), 3, 0.5) == absl::Seconds(1));
}

}  // namespace
}  // namespace bootgate::cli
