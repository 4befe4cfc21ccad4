// bootgated's retention: the config's defaults (an explicit 0 keeps everything) and the runner
// that applies it at start and on its interval, on a real SQLite store.
#include "server/bootgated/retention_runner.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/bootgated/config.h"

namespace bootgate::service {
namespace {

TEST_CASE("retention defaults keep the last 100 and 30 days, hourly; an explicit 0 stays 0",
          "[service][retention]") {
  const v1::ServerConfig defaults = WithDefaults(v1::ServerConfig());
  const server::store::RetentionPolicy policy = RetentionPolicyFrom(defaults.retention());
  CHECK(policy.keep_last == 100);
  CHECK(policy.keep_for == absl::Hours(24 * 30));
  CHECK(ToDuration(defaults.retention().interval()) == absl::Hours(1));

  auto off = ParseServerConfig("retention { keep_last: 0 keep_for {} }", "test");
  REQUIRE(off.ok());
  const server::store::RetentionPolicy forever =
      RetentionPolicyFrom(WithDefaults(*off).retention());
  CHECK(forever.keep_last == 0);
  CHECK(forever.keep_for == absl::ZeroDuration());
}

TEST_CASE("the retention runner prunes at start and stops promptly", "[service][retention]") {
  std::string dir = (std::filesystem::temp_directory_path() / "bootgate-retention-XXXXXX").string();
  REQUIRE(mkdtemp(dir.data()) != nullptr);
  auto store = server::store::OpenStore(absl::StrCat("sqlite://", dir, "/bootgate.db"));
  REQUIRE(store.ok());
  server::store::Host host;
  host.host_id = "h1";
  host.group = "rack-1";
  REQUIRE((*store)->RegisterHost(host, false).ok());
  const absl::Time old = absl::Now() - absl::Hours(24 * 40);
  for (int i = 0; i < 5; ++i) {
    server::store::Attestation a;
    a.host_id = "h1";
    a.group = "rack-1";
    a.token_id = absl::StrCat("t", i);
    a.tier = "affirming";
    a.received_at = old + absl::Minutes(i);
    a.evidence.event_log = "log";
    REQUIRE((*store)->RecordAttestation(a).ok());
  }
  auto count = [&] {
    auto page = (*store)->ListAttestations({});
    REQUIRE(page.ok());
    return page->attestations.size();
  };
  {
    RetentionRunner runner(store->get(), {2, absl::Hours(24 * 30)}, absl::Hours(1));
    for (int i = 0; i < 100 && count() != 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(count() == 2);
    auto again = runner.RunOnce(absl::Now());
    REQUIRE(again.ok());
    CHECK(again->attestations == 0);
  }  // ~RetentionRunner wakes its thread out of the hour-long wait
  CHECK((*store)->LatestAttestation("h1")->evidence.event_log == "log");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bootgate::service
