// The load generator's material and guards: the loopback-only target check, the percentile, and
// the re-signed good-host evidence (what every load round sends) appraised by the real verifier.
#include "bench/load_support.h"

#include <catch2/catch.hpp>

#include "absl/time/time.h"
#include "bench/good_host_evidence.h"
#include "verifier/appraisal/appraise_evidence.h"

namespace bootgate::bench {
namespace {

TEST_CASE("the load generator accepts only loopback targets with a port", "[bench]") {
  for (const char* ok : {"127.0.0.1:7443", "127.255.3.4:1", "localhost:80", "[::1]:9000"}) {
    INFO(ok);
    CHECK(IsLoopbackTarget(ok));
  }
  for (const char* refused : {"10.0.0.1:80",
                              "192.168.1.1:443",
                              "172.16.0.1:80",
                              "8.8.8.8:53",
                              "example.com:80",
                              "128.0.0.1:80",
                              "0.0.0.0:80",
                              "[::2]:80",
                              "[fe80::1]:80",
                              "[::1]",
                              "[::1]80",
                              "127.0.0.1",
                              "127.0.0.1:",
                              "127.0.0.1:http",
                              "127.0.0.1:123456",
                              "dns:///127.0.0.1:80",
                              "unix:/tmp/sock",
                              "ipv4:127.0.0.1:80,10.0.0.1:80",
                              "localhost.example.com:80",
                              "127.1:80x",
                              ""}) {
    INFO(refused);
    CHECK_FALSE(IsLoopbackTarget(refused));
  }
}

TEST_CASE("percentiles are nearest-rank over sorted values", "[bench]") {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  CHECK(Percentile(v, 50) == 50);
  CHECK(Percentile(v, 99) == 99);
  CHECK(Percentile(v, 100) == 100);
  CHECK(Percentile({7}, 99) == 7);
  CHECK(Percentile({1, 2, 3}, 50) == 2);
  CHECK(Percentile({}, 99) == 0);
}

TEST_CASE("a latency summary sorts its values first and is zeros when empty", "[bench]") {
  // Out of order on purpose: the percentiles and the maximum are of the sorted values.
  const nlohmann::json s = Summary({4, 1, 3, 2});
  CHECK(s["count"] == 4);
  CHECK(s["mean_ms"] == 2.5);
  CHECK(s["p50_ms"] == 2);  // nearest rank: ceil(0.5 * 4) = 2nd value
  CHECK(s["p99_ms"] == 4);
  CHECK(s["max_ms"] == 4);
  const nlohmann::json none = Summary({});
  CHECK(none["count"] == 0);
  CHECK(none["mean_ms"] == 0);
  CHECK(none["p99_ms"] == 0);
  CHECK(none["max_ms"] == 0);
}

struct Loaded {
  GoodHostEvidence evidence;
  bootgate::v1::Policy policy;
};

Loaded LoadGoodHost(AkKind kind) {
  auto e = GoodHostEvidence::Load(
      std::string(BOOTGATE_SOURCE_DIR) + "/tests/data/appraisal/good-host", kind);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  auto p =
      ReadPolicyFile(std::string(BOOTGATE_SOURCE_DIR) + "/policies/fixtures/good-host.textproto");
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return {*std::move(e), *std::move(p)};
}

absl::StatusOr<appraisal::Appraisal> Appraise(const Loaded& g, const SignedQuote& q,
                                              std::span<const uint8_t> expected_nonce) {
  appraisal::Evidence input;
  input.message = q.message;
  input.signature = q.signature;
  input.ak = g.evidence.ak();
  input.event_log = std::span<const uint8_t>(g.evidence.event_log());
  return appraisal::AppraiseEvidence(input, expected_nonce, g.policy, g.evidence.bundle_host(),
                                     absl::FromUnixSeconds(1770000000));
}

TEST_CASE("a re-signed good-host quote is affirming for its nonce and rejected for another",
          "[bench]") {
  for (AkKind kind : {AkKind::kEcdsaP256, AkKind::kRsa2048}) {
    INFO(AkKindName(kind));
    const Loaded g = LoadGoodHost(kind);
    const std::vector<uint8_t> nonce(32, 0x5c);
    const SignedQuote q = g.evidence.Sign(nonce, 4242);
    auto good = Appraise(g, q, nonce);
    REQUIRE(good.ok());
    CHECK(good->tier == appraisal::Tier::kAffirming);
    CHECK(good->placement_eligible);
    CHECK(good->findings.empty());

    std::vector<uint8_t> other = nonce;
    other[0] ^= 1;
    auto wrong = Appraise(g, q, other);
    REQUIRE(wrong.ok());
    CHECK(wrong->tier == appraisal::Tier::kContraindicated);
    REQUIRE_FALSE(wrong->findings.empty());
    CHECK(wrong->findings[0].code == "nonce-mismatch");

    // A signature by another software AK is not the registered one's.
    const Loaded stranger = LoadGoodHost(kind);
    auto forged = Appraise(g, stranger.evidence.Sign(nonce, 4242), nonce);
    REQUIRE(forged.ok());
    CHECK(forged->tier == appraisal::Tier::kContraindicated);
    REQUIRE_FALSE(forged->findings.empty());
    CHECK(forged->findings[0].code == "bad-signature");
  }
}

TEST_CASE("the good-host bundle refuses to load from a missing directory", "[bench]") {
  auto e = GoodHostEvidence::Load("/nonexistent/bundle", AkKind::kEcdsaP256);
  CHECK(absl::IsNotFound(e.status()));
  CHECK_FALSE(ParseAkKind("dsa").ok());
}

}  // namespace
}  // namespace bootgate::bench
