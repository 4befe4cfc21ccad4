// The service commands' argument parsing and output: PCR selections, AK handles, time
// arguments, loopback detection, and the verdict/placement/dry-run renderings.
#include <catch2/catch.hpp>

#include "cli/grpc_client.h"
#include "cli/history_command.h"
#include "cli/remote_output.h"
#include "cli/tpm_agent.h"

namespace bootgate::cli {
namespace {

bool Selected(const TPMS_PCR_SELECTION& s, uint32_t pcr) {
  return (s.pcrSelect[pcr / 8] & (1u << (pcr % 8))) != 0;
}

TEST_CASE("a PCR selection range selects exactly those PCRs of the bank", "[cli_agent]") {
  absl::StatusOr<TPML_PCR_SELECTION> sel = ParsePcrSelection("sha256:0-9");
  REQUIRE(sel.ok());
  REQUIRE(sel->count == 1);
  CHECK(sel->pcrSelections[0].hash == TPM2_ALG_SHA256);
  CHECK(sel->pcrSelections[0].sizeofSelect == 3);
  for (uint32_t pcr = 0; pcr < 24; ++pcr) CHECK(Selected(sel->pcrSelections[0], pcr) == (pcr <= 9));
}

TEST_CASE("a PCR selection takes several banks, lists and ranges", "[cli_agent]") {
  absl::StatusOr<TPML_PCR_SELECTION> sel = ParsePcrSelection("sha1:0,2,7+sha256:4-5,23");
  REQUIRE(sel.ok());
  REQUIRE(sel->count == 2);
  CHECK(sel->pcrSelections[0].hash == TPM2_ALG_SHA1);
  CHECK(sel->pcrSelections[1].hash == TPM2_ALG_SHA256);
  for (uint32_t pcr = 0; pcr < 24; ++pcr) {
    CHECK(Selected(sel->pcrSelections[0], pcr) == (pcr == 0 || pcr == 2 || pcr == 7));
    CHECK(Selected(sel->pcrSelections[1], pcr) == (pcr == 4 || pcr == 5 || pcr == 23));
  }
}

TEST_CASE("a PCR selection refuses what the TPM could not quote", "[cli_agent]") {
  for (const char* bad : {"", "sha256", "sha256:", "sha256:24", "sha256:0-24", "sha256:9-0",
                          "md5:0", "sha256:x", "sha256:1,,2", "sha256:0+sha256:1", "sha256:-1"}) {
    INFO(bad);
    absl::StatusOr<TPML_PCR_SELECTION> sel = ParsePcrSelection(bad);
    CHECK(sel.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("an AK handle must be persistent", "[cli_agent]") {
  CHECK(*ParsePersistentHandle("0x81010002") == 0x81010002u);
  CHECK(*ParsePersistentHandle("0X81000000") == 0x81000000u);
  CHECK(*ParsePersistentHandle("2164326402") == 0x81010002u);
  for (const char* bad :
       {"", "0x", "0x80000001", "0x01c00002", "0x81010002z", "81010002", "0x181010002", "-1"}) {
    INFO(bad);
    CHECK(ParsePersistentHandle(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("time arguments are RFC 3339, a date, or a duration ago", "[cli_agent]") {
  const absl::Time now = absl::FromUnixSeconds(1714567890);
  CHECK(*ParseTimeArg("2024-05-01T12:00:00Z", now) == absl::FromUnixSeconds(1714564800));
  CHECK(*ParseTimeArg("2024-05-01T14:00:00+02:00", now) == absl::FromUnixSeconds(1714564800));
  CHECK(*ParseTimeArg("2024-05-01", now) == absl::FromUnixSeconds(1714521600));
  CHECK(*ParseTimeArg("90m", now) == now - absl::Minutes(90));
  CHECK(*ParseTimeArg("24h", now) == now - absl::Hours(24));
  // As the --help text spells it.
  CHECK(*ParseTimeArg("24h ago", now) == now - absl::Hours(24));
  CHECK(*ParseTimeArg("1h30m ago", now) == now - absl::Minutes(90));
  // Days, which absl::ParseDuration does not know, alone or before hours and minutes.
  CHECK(*ParseTimeArg("7d", now) == now - absl::Hours(7 * 24));
  CHECK(*ParseTimeArg("7d ago", now) == now - absl::Hours(7 * 24));
  CHECK(*ParseTimeArg("1d12h ago", now) == now - absl::Hours(36));
  CHECK(*ParseTimeArg("0d", now) == now);
  CHECK_FALSE(ParseTimeArg("ago", now).ok());
  CHECK_FALSE(ParseTimeArg("24h from now", now).ok());
  for (const char* bad : {"", "yesterday", "-1h", "2024-13-01", "12:00", "d", "-7d", "+7d", "1.5d",
                          "7days ago", "7d-1h", "1d1d", "9999999d", "7 d", "inf", "1dinf"}) {
    INFO(bad);
    CHECK(ParseTimeArg(bad, now).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("only loopback servers may be reached without TLS", "[cli_agent]") {
  for (const char* ok : {"127.0.0.1:7443", "127.1.2.3:1", "localhost:7443", "[::1]:7443",
                         "dns:///localhost:7443", "unix:/run/bootgate.sock", "ipv4:127.0.0.1:9"}) {
    INFO(ok);
    CHECK(IsLoopback(ok));
  }
  for (const char* remote : {"10.0.0.1:7443", "bootgate.example:7443", "[2001:db8::1]:7443",
                             "128.0.0.1:7443", "localhost.example:1", "0.0.0.0:7443"}) {
    INFO(remote);
    CHECK_FALSE(IsLoopback(remote));
  }
  ServerOptions options;
  options.address = "10.0.0.1:7443";
  CHECK(MakeChannel(options).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("the server address comes from the flag, then BOOTGATE_SERVER, then the default",
          "[cli_agent]") {
  ServerOptions options;
  unsetenv("BOOTGATE_SERVER");
  CHECK(ResolveServer(options) == "127.0.0.1:7443");
  setenv("BOOTGATE_SERVER", "127.0.0.1:9000", 1);
  CHECK(ResolveServer(options) == "127.0.0.1:9000");
  options.address = "127.0.0.1:9001";
  CHECK(ResolveServer(options) == "127.0.0.1:9001");
  unsetenv("BOOTGATE_SERVER");
}

v1::Verdict TamperedVerdict() {
  v1::Verdict v;
  v.set_attestation_id("att-1");
  v.set_host_id("host-bootloader-replaced");
  v.set_group("good-host");
  v.set_tier(v1::TIER_CONTRAINDICATED);
  v.set_placement_eligible(false);
  v.set_policy_name("fixtures-good-host");
  v.set_policy_version("fixtures-1");
  v.mutable_issued_at()->set_seconds(1714564800);
  v.mutable_expires_at()->set_seconds(1714568400);
  v1::Finding* f = v.add_findings();
  f->set_code("image-not-allowed");
  f->set_layer("boot-loader");
  f->set_severity("contraindicated");
  f->set_pcr(4);
  f->set_event_index(31);
  f->set_message("grub digest 3f2a is not an allowed grub");
  f->set_hint("add the digest to the baseline if this grub is expected");
  return v;
}

TEST_CASE("a verdict prints its tier, eligibility, expiry and one row per finding", "[cli_agent]") {
  const std::string text = VerdictText(TamperedVerdict());
  CHECK_THAT(text, Catch::Contains(
                       "host host-bootloader-replaced: contraindicated, NOT placement eligible"));
  CHECK_THAT(text,
             Catch::Contains("policy fixtures-good-host version fixtures-1, group good-host"));
  CHECK_THAT(text, Catch::Contains("issued 2024-05-01T12:00:00Z, expires 2024-05-01T13:00:00Z"));
  CHECK_THAT(text, Catch::Matches("(.|\\n)*boot-loader +4 +31 +contraindicated +image-not-allowed "
                                  "+grub digest 3f2a(.|\\n)*"));
  CHECK_THAT(text, Catch::Contains("image-not-allowed (event 31): add the digest"));

  v1::Verdict waived = TamperedVerdict();
  waived.mutable_findings(0)->set_waived_by("grub-rollout");
  CHECK_THAT(VerdictText(waived), Catch::Contains("waived:grub-rollout"));

  v1::Verdict clean;
  clean.set_tier(v1::TIER_AFFIRMING);
  clean.set_placement_eligible(true);
  CHECK_THAT(VerdictText(clean), Catch::Contains("affirming, placement eligible"));
  CHECK_THAT(VerdictText(clean), Catch::Contains("no findings"));
}

TEST_CASE("JSON output keeps the proto field names and prints defaults", "[cli_agent]") {
  const std::string json = ProtoJson(TamperedVerdict());
  CHECK_THAT(json, Catch::Contains("\"placement_eligible\": false"));
  CHECK_THAT(json, Catch::Contains("\"tier\": \"TIER_CONTRAINDICATED\""));
  CHECK_THAT(json, Catch::Contains("\"event_index\": 31"));
  const std::string line = ProtoJson(TamperedVerdict(), /*compact=*/true);
  CHECK(line.find('\n') == line.size() - 1);
}

TEST_CASE("placement and dry run say what changes for whom", "[cli_agent]") {
  v1::PlacementStatus p;
  p.set_host_id("h1");
  p.set_eligible(false);
  p.set_reason(v1::PLACEMENT_REASON_EXPIRED);
  *p.mutable_verdict() = TamperedVerdict();
  p.mutable_age()->set_seconds(7200);
  CHECK_THAT(PlacementText(p),
             Catch::StartsWith("h1: NOT eligible (latest verdict expired), verdict age 2h"));

  v1::DryRunResponse r;
  r.set_hosts_evaluated(2);
  r.add_hosts_without_evidence("h3");
  v1::VerdictChange* c = r.add_changes();
  c->set_host_id("host-bootloader-replaced");
  c->set_attestation_id("att-1");
  *c->mutable_current() = TamperedVerdict();
  c->mutable_candidate()->set_tier(v1::TIER_AFFIRMING);
  c->mutable_candidate()->set_placement_eligible(true);
  c->set_eligibility_changed(true);
  const std::string text = DryRunText(r);
  CHECK_THAT(text, Catch::StartsWith("2 host(s) evaluated, 1 verdict(s) would change"));
  CHECK_THAT(text, Catch::Contains("never attested (skipped): h3"));
  CHECK_THAT(text, Catch::Contains("host-bootloader-replaced (attestation att-1): contraindicated, "
                                   "not eligible -> affirming, eligible  [ELIGIBILITY CHANGES]"));
}

}  // namespace
}  // namespace bootgate::cli
