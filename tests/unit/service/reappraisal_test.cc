// Re-appraisal after a policy change (server/bootgated/reappraisal.h): the expiry rule (a
// re-appraised verdict never outlives the original; expired evidence is not judged again)
// and the stored mark of a re-appraisal (convert.h: reappraisal_of in the verdict details,
// on Verdict and AttestationSummary).
#include "server/bootgated/reappraisal.h"

#include <catch2/catch.hpp>

#include "absl/time/time.h"
#include "server/bootgated/convert.h"

namespace bootgate::service {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST_CASE("a re-appraised verdict keeps the original's expiry, never a later one",
          "[reappraisal]") {
  // The new appraisal is issued now with the group's TTL: later than the original's expiry.
  CHECK(ReappraisedExpiry(kT0 + absl::Minutes(10), kT0 + absl::Hours(1)) ==
        kT0 + absl::Minutes(10));
  // A policy with a shorter TTL (or a host moved to a group without one) shortens it.
  CHECK(ReappraisedExpiry(kT0 + absl::Hours(1), kT0 + absl::Seconds(3)) == kT0 + absl::Seconds(3));
  CHECK(ReappraisedExpiry(kT0, kT0) == kT0);
}

TEST_CASE("expired evidence is not re-appraised", "[reappraisal]") {
  CHECK(ReappraisableAt(kT0 + absl::Seconds(1), kT0));
  // At its expiry instant a verdict no longer makes a host eligible (Placement: now < expires).
  CHECK_FALSE(ReappraisableAt(kT0, kT0));
  CHECK_FALSE(ReappraisableAt(kT0 - absl::Hours(1), kT0));
  CHECK_FALSE(ReappraisableAt(absl::UnixEpoch(), kT0));
}

server::store::Attestation Record(const VerdictDetails& details) {
  server::store::Attestation r;
  r.host_id = "host-a";
  r.token_id = std::string(64, 'b');
  r.tier = "warning";
  r.placement_eligible = true;
  r.received_at = kT0;
  r.expires_at = kT0 + absl::Hours(1);
  r.findings_json = DetailsToJson(details);
  return r;
}

TEST_CASE("a re-appraisal names its original in the verdict and the history summary",
          "[reappraisal]") {
  VerdictDetails details;
  details.policy_version = "push-2";
  details.qualifying_data = {1, 2, 3};
  details.reappraisal_of = std::string(64, 'a');
  auto back = DetailsFromJson(DetailsToJson(details));
  REQUIRE(back.ok());
  CHECK(back->reappraisal_of == details.reappraisal_of);
  CHECK(back->qualifying_data == details.qualifying_data);

  auto verdict = VerdictFromRecord(Record(details));
  REQUIRE(verdict.ok());
  CHECK(verdict->reappraisal_of() == details.reappraisal_of);
  CHECK(verdict->attestation_id() == std::string(64, 'b'));
  auto summary = SummaryFromRecord(Record(details));
  REQUIRE(summary.ok());
  CHECK(summary->reappraisal_of() == details.reappraisal_of);
}

TEST_CASE("a verdict of evidence the host sent is no re-appraisal; old records read the same",
          "[reappraisal]") {
  VerdictDetails details;
  details.policy_version = "fixtures-1";
  const std::string json = DetailsToJson(details);
  // Records written before re-appraisal existed have no such member: nothing new is written.
  CHECK(json.find("reappraisal_of") == std::string::npos);
  auto verdict = VerdictFromRecord(Record(details));
  REQUIRE(verdict.ok());
  CHECK(verdict->reappraisal_of().empty());
}

}  // namespace
}  // namespace bootgate::service
