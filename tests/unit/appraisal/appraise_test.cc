#include "verifier/appraisal/appraise.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/unit/policy/testdata.h"

namespace bootgate::appraisal {
namespace {

using policy::testing::GoodPolicy;
using policy::testing::GoodState;

const absl::Time kFeb = absl::FromUnixSeconds(1770000000);    // 2026-02-02
const absl::Time kApril = absl::FromUnixSeconds(1775000000);  // after 2026-03-31

policy::EvaluationContext Context(absl::Time now, const std::string& host = "host-1") {
  policy::EvaluationContext c;
  c.host_id = host;
  c.clock_safe = true;
  c.now = now;
  return c;
}

Finding Of(const std::string& code, Severity severity) {
  Finding f;
  f.code = code;
  f.severity = severity;
  return f;
}

TEST_CASE("tier names follow IETF EAR", "[appraisal]") {
  CHECK(TierName(Tier::kAffirming) == "affirming");
  CHECK(TierName(Tier::kWarning) == "warning");
  CHECK(TierName(Tier::kContraindicated) == "contraindicated");
}

TEST_CASE("tiers: no findings affirm, warnings warn, contraindicated wins", "[appraisal]") {
  const v1::Policy p = GoodPolicy();
  const v1::HostGroup* g = &p.groups(0);
  Appraisal a = Appraise({}, {}, p, g, kFeb);
  CHECK(a.tier == Tier::kAffirming);
  CHECK(a.placement_eligible);
  CHECK(a.policy_name == "test-policy");
  CHECK(a.policy_version == "7");
  CHECK(a.group == "debian-12");
  CHECK(a.issued == kFeb);
  CHECK(a.expires == kFeb + absl::Hours(1));

  a = Appraise({Of("clock-not-safe", Severity::kWarning)}, {}, p, g, kFeb);
  CHECK(a.tier == Tier::kWarning);
  CHECK(a.placement_eligible);

  a = Appraise({Of("clock-not-safe", Severity::kWarning),
                Of("secure-boot-disabled", Severity::kContraindicated)},
               {}, p, g, kFeb);
  CHECK(a.tier == Tier::kContraindicated);
  CHECK_FALSE(a.placement_eligible);
  CHECK(a.findings.size() == 2);
}

TEST_CASE("a waived contraindication is at most a warning, and stays in the verdict",
          "[appraisal]") {
  const v1::Policy p = GoodPolicy();
  Finding f = Of("image-not-allowed", Severity::kContraindicated);
  f.waived_by.emplace(1, 'x');  // (not = "x": GCC 12 -Wrestrict false positive)
  const Appraisal a = Appraise({f}, {"x"}, p, &p.groups(0), kFeb);
  CHECK(a.tier == Tier::kWarning);
  CHECK(a.placement_eligible);
  REQUIRE(a.findings.size() == 1);
  CHECK(a.findings[0].waived_by == "x");
  CHECK(a.exceptions_used == std::vector<std::string>{"x"});
}

TEST_CASE("without a group the verdict is contraindicated and expires at once", "[appraisal]") {
  const Appraisal a = AppraiseBootState(GoodState(), {}, Context(kFeb, "stranger"), GoodPolicy());
  CHECK(a.tier == Tier::kContraindicated);
  CHECK(a.group.empty());
  CHECK(a.expires == a.issued);
  REQUIRE(a.findings.size() == 1);
  CHECK(a.findings[0].code == "no-policy-for-host");
}

TEST_CASE(
    "the good boot is affirming; grub replaced is contraindicated until an exception waives it",
    "[appraisal]") {
  CHECK(AppraiseBootState(GoodState(), {}, Context(kFeb), GoodPolicy()).tier == Tier::kAffirming);

  bootstate::BootState s = GoodState();
  s.boot_loader.loaders[1].digests[crypto::HashAlg::kSha256] = policy::testing::Bytes32('9');
  Appraisal a = AppraiseBootState(s, {}, Context(kFeb), GoodPolicy());
  CHECK(a.tier == Tier::kContraindicated);
  CHECK_FALSE(a.placement_eligible);

  const v1::Policy with_exception = GoodPolicy(
      R"pb(exceptions { name: "grub-hotfix" owner: "ops" reason: "new grub rolling out"
                        compensating_control: "test workloads only" expires: "2026-03-31"
                        host: "host-1" finding_code: "image-not-allowed" })pb");
  a = AppraiseBootState(s, {}, Context(kFeb), with_exception);
  CHECK(a.tier == Tier::kWarning);
  CHECK(a.placement_eligible);
  CHECK(a.exceptions_used == std::vector<std::string>{"grub-hotfix"});

  // Same host, same evidence, clock moved past expiry: contraindicated again.
  a = AppraiseBootState(s, {}, Context(kApril), with_exception);
  CHECK(a.tier == Tier::kContraindicated);
  CHECK(a.exceptions_used.empty());
  REQUIRE(a.findings.size() == 1);
  CHECK_THAT(a.findings[0].message,
             Catch::EndsWith("(exception grub-hotfix expired on 2026-03-31)"));

  // Another host of the group with the same grub: the host exception does not cover it.
  a = AppraiseBootState(s, {}, Context(kFeb, "host-2"), with_exception);
  CHECK(a.tier == Tier::kContraindicated);
}

TEST_CASE("prior findings from earlier stages come first and count", "[appraisal]") {
  Finding sep = Of("config-after-separator", Severity::kContraindicated);
  sep.layer = Layer::kEventLog;
  const Appraisal a = AppraiseBootState(GoodState(), {sep}, Context(kFeb), GoodPolicy());
  CHECK(a.tier == Tier::kContraindicated);
  REQUIRE(a.findings.size() == 1);
  CHECK(a.findings[0].code == "config-after-separator");
}

}  // namespace
}  // namespace bootgate::appraisal
