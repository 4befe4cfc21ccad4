#include "verifier/policy/exceptions.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/unit/policy/testdata.h"

namespace bootgate::policy {
namespace {

using appraisal::Finding;
using appraisal::Layer;

std::string ExceptionText(const std::string& name, const std::string& target,
                          const std::string& code, const std::string& selectors = "") {
  return absl::StrCat("exceptions { name: \"", name,
                      "\" owner: \"ops\" reason: \"r\" compensating_control: \"c\" ",
                      "created: \"2026-01-01\" expires: \"2026-03-31\" ", target,
                      " finding_code: \"", code, "\" ", selectors, " }\n");
}

Finding GrubFinding(uint32_t event = 22) {
  Finding f;
  f.code = "image-not-allowed";
  f.layer = Layer::kBootLoader;
  f.pcr = 4;
  f.event_index = event;
  f.seen = "grubx64.efi sha256 " + testing::Hex64('9');
  f.message = "event 22: grub is not allowed";
  return f;
}

const absl::Time kFeb = absl::FromUnixSeconds(1770000000);    // 2026-02-02
const absl::Time kApril = absl::FromUnixSeconds(1775000000);  // 2026-03-31T23:33Z, past expiry

TEST_CASE("an exception waives exactly its finding for its host until it expires", "[policy]") {
  const v1::Policy p =
      testing::GoodPolicy(ExceptionText("grub-hotfix", "host: \"host-1\"", "image-not-allowed"));
  std::vector<Finding> f = {GrubFinding()};
  CHECK(ApplyExceptions(f, p, "host-1", "debian-12", kFeb) ==
        std::vector<std::string>{"grub-hotfix"});
  CHECK(f[0].waived_by == "grub-hotfix");

  // Another host of the same group: not waived.
  f = {GrubFinding()};
  CHECK(ApplyExceptions(f, p, "host-2", "debian-12", kFeb).empty());
  CHECK_FALSE(f[0].waived_by.has_value());

  // Another finding code on the same host: not waived.
  f = {GrubFinding()};
  f[0].code = "kernel-not-allowed";
  CHECK(ApplyExceptions(f, p, "host-1", "debian-12", kFeb).empty());
  CHECK_FALSE(f[0].waived_by.has_value());

  // Past expiry: stays, and says which exception expired when.
  f = {GrubFinding()};
  CHECK(ApplyExceptions(f, p, "host-1", "debian-12", kApril).empty());
  CHECK_FALSE(f[0].waived_by.has_value());
  CHECK(f[0].message ==
        "event 22: grub is not allowed (exception grub-hotfix expired on 2026-03-31)");

  // Before it was created: not yet valid.
  f = {GrubFinding()};
  CHECK(ApplyExceptions(f, p, "host-1", "debian-12", absl::FromUnixSeconds(1760000000)).empty());
  CHECK_THAT(f[0].message, Catch::EndsWith("(exception grub-hotfix starts on 2026-01-01)"));
}

TEST_CASE("a group exception covers every host of its group only", "[policy]") {
  const v1::Policy p =
      testing::GoodPolicy(ExceptionText("g", "group: \"debian-12\"", "image-not-allowed"));
  std::vector<Finding> f = {GrubFinding()};
  CHECK(ApplyExceptions(f, p, "host-2", "debian-12", kFeb) == std::vector<std::string>{"g"});
  f = {GrubFinding()};
  CHECK(ApplyExceptions(f, p, "host-x", "other", kFeb).empty());
}

TEST_CASE("selectors narrow an exception to one event, PCR or seen value", "[policy]") {
  const v1::Policy p = testing::GoodPolicy(
      ExceptionText("one-event", "host: \"host-1\"", "image-not-allowed",
                    absl::StrCat("event_index: 22 pcr: 4 seen: \"", testing::Hex64('9'), "\"")));
  std::vector<Finding> f = {GrubFinding(22), GrubFinding(23)};
  ApplyExceptions(f, p, "host-1", "debian-12", kFeb);
  CHECK(f[0].waived_by == "one-event");
  CHECK_FALSE(f[1].waived_by.has_value());
  f = {GrubFinding()};
  f[0].seen = "grubx64.efi sha256 " + testing::Hex64('8');
  ApplyExceptions(f, p, "host-1", "debian-12", kFeb);
  CHECK_FALSE(f[0].waived_by.has_value());
}

TEST_CASE("evidence findings and a missing policy are never waived", "[policy]") {
  // Validation refuses the exception for pcr-digest-mismatch (never_waivable_test.cc): add it
  // to a validated policy, as a stored policy from before the list could hold it.
  v1::Policy p = testing::GoodPolicy(ExceptionText("clock", "host: \"host-1\"", "clock-not-safe"));
  const v1::Policy bad =
      testing::GoodPolicy(ExceptionText("bad", "host: \"host-1\"", "image-not-allowed"));
  *p.add_exceptions() = bad.exceptions(0);
  p.mutable_exceptions(1)->set_finding_code("pcr-digest-mismatch");
  Finding forged;
  forged.code = "pcr-digest-mismatch";
  forged.layer = Layer::kEvidence;
  Finding clock;
  clock.code = "clock-not-safe";
  clock.layer = Layer::kEvidence;
  std::vector<Finding> f = {forged, clock};
  CHECK(ApplyExceptions(f, p, "host-1", "debian-12", kFeb) == std::vector<std::string>{"clock"});
  CHECK_FALSE(f[0].waived_by.has_value());
  CHECK(f[1].waived_by == "clock");
}

}  // namespace
}  // namespace bootgate::policy
