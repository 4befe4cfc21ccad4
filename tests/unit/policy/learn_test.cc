// LearnPolicy (cli/baseline_learn.h) against the evaluator and the agent's default quote:
// a learned policy passes the host it was learned from, Secure Boot off included, and accepts
// `bootgate attest` run with default flags on that host, whatever selection the bundle quoted.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/baseline_learn.h"
#include "cli/tpm_agent.h"
#include "tests/unit/policy/testdata.h"
#include "verifier/policy/evaluate.h"
#include "verifier/policy/load.h"

namespace bootgate::policy {
namespace {

using appraisal::Finding;
using crypto::HashAlg;
using testing::Codes;

tpm::PcrSelection Quoted(const std::string& spec) {
  absl::StatusOr<tpm::PcrSelection> s = tpm::ParsePcrSelectionSpec(spec);
  REQUIRE(s.ok());
  return *s;
}

std::map<HashAlg, std::set<uint32_t>> AsMap(const tpm::PcrSelection& selection) {
  std::map<HashAlg, std::set<uint32_t>> out;
  for (const tpm::PcrBankSelection& b : selection) out[b.bank].insert(b.pcrs.begin(), b.pcrs.end());
  return out;
}

// What `bootgate attest` quotes with default flags on a TPM allocating `banks` (all 24 PCRs).
std::map<HashAlg, std::set<uint32_t>> AgentDefault(const std::vector<HashAlg>& banks) {
  TPML_PCR_SELECTION allocated = {};
  for (HashAlg bank : banks) {
    TPMS_PCR_SELECTION& s = allocated.pcrSelections[allocated.count++];
    s.hash = static_cast<TPMI_ALG_HASH>(bank);
    s.sizeofSelect = 3;
    s.pcrSelect[0] = s.pcrSelect[1] = s.pcrSelect[2] = 0xff;
  }
  absl::StatusOr<TPML_PCR_SELECTION> sel = cli::DefaultPcrSelection(allocated);
  REQUIRE(sel.ok());
  absl::StatusOr<tpm::PcrSelection> parsed =
      tpm::ParsePcrSelectionSpec(cli::FormatTpmlPcrSelection(*sel));
  REQUIRE(parsed.ok());
  return AsMap(*parsed);
}

v1::Policy Learn(const bootstate::BootState& s, const tpm::PcrSelection& quoted) {
  return cli::LearnPolicy(s, quoted,
                          {.policy_name = "learned",
                           .version = "1",
                           .group = testing::kGroup,
                           .host_id = testing::kHost});
}

std::vector<Finding> Judge(const bootstate::BootState& s, const v1::Policy& p,
                           std::map<HashAlg, std::set<uint32_t>> quoted) {
  EvaluationContext c;
  c.host_id = testing::kHost;
  c.clock_safe = true;
  c.quoted_pcrs = std::move(quoted);
  return Evaluate(s, c, p);
}

TEST_CASE("the agent's default quote is PCRs 0-9 and 14 in every allocated bank",
          "[learn][agent]") {
  const auto d = AgentDefault({HashAlg::kSha1, HashAlg::kSha256});
  const std::set<uint32_t> boot = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14};
  CHECK(d.at(HashAlg::kSha1) == boot);
  CHECK(d.at(HashAlg::kSha256) == boot);
  // A bank that allocates only some PCRs: only those; a bank with none: left out.
  TPML_PCR_SELECTION allocated = {};
  allocated.count = 2;
  allocated.pcrSelections[0] = {static_cast<TPMI_ALG_HASH>(HashAlg::kSha256), 3, {0x0f, 0, 0, 0}};
  allocated.pcrSelections[1] = {static_cast<TPMI_ALG_HASH>(HashAlg::kSha384), 3, {0, 0, 0, 0}};
  absl::StatusOr<TPML_PCR_SELECTION> sel = cli::DefaultPcrSelection(allocated);
  REQUIRE(sel.ok());
  CHECK(cli::FormatTpmlPcrSelection(*sel) == "sha256:0-3");
  allocated.count = 1;
  allocated.pcrSelections[0].pcrSelect[0] = 0;
  CHECK(cli::DefaultPcrSelection(allocated).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("a policy learned from any quoted selection accepts the agent's default quote",
          "[learn][agent]") {
  struct Case {
    std::string quoted;
    std::vector<HashAlg> log_banks;
    std::string required;  // what learn writes
  };
  const std::vector<Case> cases = {
      {"sha1:0-9", {HashAlg::kSha1, HashAlg::kSha256}, "sha1:0-9"},
      {"sha256:0-9", {HashAlg::kSha256}, "sha256:0-9"},
      {"sha256:0-23", {HashAlg::kSha256}, "sha256:0-9,14"},
      {"sha1:0-23", {HashAlg::kSha1}, "sha1:0-9,14"},
      {"sha1:0-9+sha256:0-9,14", {HashAlg::kSha1, HashAlg::kSha256}, "sha1:0-9|sha256:0-9,14"},
      {"sha256:0-7,10", {HashAlg::kSha256}, "sha256:0-7"},
  };
  for (const Case& c : cases) {
    INFO(c.quoted);
    bootstate::BootState s = testing::GoodState();
    s.banks = c.log_banks;
    const v1::Policy p = Learn(s, Quoted(c.quoted));
    std::string required;
    for (const std::string& r : p.groups(0).required_pcrs())
      absl::StrAppend(&required, required.empty() ? "" : "|", r);
    CHECK(required == c.required);
    // The bundle itself, and the agent's default quote on the same host (its TPM allocates
    // at least the banks the log replays).
    CHECK(Codes(Judge(s, p, AsMap(Quoted(c.quoted)))).empty());
    CHECK(Codes(Judge(s, p, AgentDefault(c.log_banks))).empty());
  }
}

TEST_CASE("a policy learned from a host with Secure Boot off passes that host, saying so",
          "[learn]") {
  bootstate::BootState s = testing::GoodState();
  s.secure_boot.enabled = false;
  s.secure_boot.pk.reset();  // plain OVMF vars: no keys enrolled
  s.secure_boot.kek.reset();
  s.secure_boot.db.reset();
  s.secure_boot.dbx.reset();
  s.secure_boot.authorities.clear();
  const v1::Policy p = Learn(s, Quoted("sha256:0-9,14"));
  const v1::SecureBootBaseline& sb = p.groups(0).secure_boot();
  CHECK(sb.has_required());
  CHECK_FALSE(sb.required());
  const std::vector<Finding> f = Judge(s, p, AsMap(Quoted("sha256:0-9,14")));
  REQUIRE(Codes(f) == "secure-boot-not-required");
  CHECK(f[0].severity == appraisal::Severity::kWarning);

  // The written textproto says it in a comment, and reads back with the choice kept.
  const std::string text = cli::LearnedPolicyText(p);
  CHECK_THAT(text, Catch::Contains("# Secure Boot is off on the host this was learned from: it "
                                   "is not required."));
  absl::StatusOr<v1::Policy> back = LoadPolicy(text, PolicyFormat::kTextproto, "learned");
  REQUIRE(back.ok());
  CHECK(back->groups(0).secure_boot().has_required());
  CHECK(Codes(Judge(s, *back, AsMap(Quoted("sha256:0-9,14")))) == "secure-boot-not-required");

  // Secure Boot on: required: true and no comment.
  const v1::Policy on = Learn(testing::GoodState(), Quoted("sha256:0-9"));
  CHECK(on.groups(0).secure_boot().required());
  CHECK_THAT(cli::LearnedPolicyText(on), !Catch::Contains("Secure Boot is off"));
}

TEST_CASE("a Secure Boot state the log does not show is left empty: fail closed", "[learn]") {
  bootstate::BootState s = testing::GoodState();
  s.secure_boot = {};
  const v1::Policy p = Learn(s, Quoted("sha256:0-9"));
  CHECK_FALSE(p.groups(0).secure_boot().has_required());
  CHECK(Codes(Judge(s, p, AsMap(Quoted("sha256:0-9")))) == "empty-baseline-layer");
}

}  // namespace
}  // namespace bootgate::policy
