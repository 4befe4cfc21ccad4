#include "server/bootgated/request_budget.h"

#include <catch2/catch.hpp>

#include "server/bootgated/config.h"

namespace bootgate::service {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

TEST_CASE("the in-flight budget starts reads while a whole request fits", "[request_budget]") {
  RequestBudget budget(64 * kMiB, 20 * kMiB);
  CHECK(budget.max_reads() == 3);
  CHECK(budget.TryStartRead("a", "c1"));
  CHECK(budget.TryStartRead("b", "c2"));
  CHECK(budget.TryStartRead("c", "c3"));
  CHECK_FALSE(budget.TryStartRead("d", "c4"));
  CHECK(budget.in_use() == 60 * kMiB);
}

TEST_CASE("a received request holds its own size until released", "[request_budget]") {
  RequestBudget budget(64 * kMiB, 20 * kMiB);
  REQUIRE(budget.TryStartRead("a", "c1"));
  budget.EndRead("a", "c1", 16 * kMiB);
  CHECK(budget.in_use() == 16 * kMiB);
  REQUIRE(budget.TryStartRead("b", "c2"));
  REQUIRE(budget.TryStartRead("c", "c3"));
  CHECK_FALSE(budget.TryStartRead("d", "c4"));  // 16 + 40 + 20 > 64
  budget.Release(16 * kMiB);
  CHECK(budget.TryStartRead("d", "c4"));
  CHECK(budget.in_use() == 60 * kMiB);
}

TEST_CASE("a failed read gives everything back", "[request_budget]") {
  RequestBudget budget(64 * kMiB, 20 * kMiB);
  REQUIRE(budget.TryStartRead("a", "c1"));
  budget.EndRead("a", "c1", 0);
  CHECK(budget.in_use() == 0);
  budget.Release(5);  // more than held: stays at zero
  CHECK(budget.in_use() == 0);
}

TEST_CASE("one read per connection", "[request_budget]") {
  RequestBudget budget(64 * kMiB, 20 * kMiB);
  REQUIRE(budget.TryStartRead("a", "c1"));
  CHECK_FALSE(budget.TryStartRead("b", "c1"));
  budget.EndRead("a", "c1", 0);
  CHECK(budget.TryStartRead("b", "c1"));
}

TEST_CASE("one caller never holds every read", "[request_budget]") {
  RequestBudget budget(64 * kMiB, 20 * kMiB);
  CHECK(budget.max_reads_per_caller() == 2);
  CHECK(budget.TryStartRead("hostile", "c1"));
  CHECK(budget.TryStartRead("hostile", "c2"));
  CHECK_FALSE(budget.TryStartRead("hostile", "c3"));
  CHECK(budget.TryStartRead("agent", "c4"));
}

TEST_CASE("a budget of one read lets one caller have it", "[request_budget]") {
  RequestBudget budget(20 * kMiB, 20 * kMiB);
  CHECK(budget.max_reads() == 1);
  CHECK(budget.max_reads_per_caller() == 1);
  CHECK(budget.TryStartRead("a", "c1"));
  CHECK_FALSE(budget.TryStartRead("b", "c2"));
}

TEST_CASE("the memory bounds' defaults are the ones docs/performance.md gives",
          "[request_budget]") {
  const v1::Limits l = WithDefaults(v1::ServerConfig()).limits();
  CHECK(l.max_request_bytes() == 20 * kMiB);
  CHECK(l.transport_memory_bytes() == 128 * kMiB);
  CHECK(l.max_threads() == 64);
  CHECK(l.max_streams_per_connection() == 16);
  CHECK(l.inflight_request_bytes() == 64 * kMiB);
  CHECK(ToDuration(l.queue_wait()) == absl::Seconds(10));
  CHECK(ToDuration(l.receive_deadline()) == absl::Seconds(30));
  CHECK(ToDuration(l.keepalive_time()) == absl::Minutes(2));
  CHECK(ToDuration(l.keepalive_timeout()) == absl::Seconds(20));
  CHECK(ToDuration(l.max_connection_idle()) == absl::Minutes(5));
  CHECK(ToDuration(l.handshake_timeout()) == absl::Seconds(10));
  // 3 requests read at once, 2 of them at most by one caller.
  const RequestBudget budget(l.inflight_request_bytes(), l.max_request_bytes());
  CHECK(budget.max_reads() == 3);
  CHECK(budget.max_reads_per_caller() == 2);
}

}  // namespace
}  // namespace bootgate::service
