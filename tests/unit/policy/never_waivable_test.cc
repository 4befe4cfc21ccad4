#include "verifier/policy/never_waivable.h"

#include <google/protobuf/text_format.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/unit/policy/testdata.h"
#include "verifier/policy/exceptions.h"
#include "verifier/policy/load.h"
#include "verifier/policy/validate.h"
#include "verifier/tpm/quote_error.h"

namespace bootgate::policy {
namespace {

using appraisal::Finding;

const absl::Time kFeb = absl::FromUnixSeconds(1770000000);  // 2026-02-02

v1::Exception MakeException(const std::string& name, absl::string_view code,
                            std::optional<uint32_t> pcr = std::nullopt) {
  v1::Exception e;
  REQUIRE(google::protobuf::TextFormat::ParseFromString(
      absl::StrCat("name: \"", name,
                   "\" owner: \"ops\" reason: \"r\" compensating_control: \"c\" "
                   "created: \"2026-01-01\" expires: \"2026-03-31\" host: \"",
                   testing::kHost, "\" finding_code: \"", code, "\""),
      &e));
  if (pcr.has_value()) e.set_pcr(*pcr);
  return e;
}

// The errors ValidatePolicy gives GoodPolicy() plus `e`, as "path: message".
std::vector<std::string> ValidationErrors(const v1::Exception& e) {
  v1::Policy p = testing::GoodPolicy();
  *p.add_exceptions() = e;
  std::vector<std::string> out;
  for (const ValidationError& err : ValidatePolicy(p)) {
    out.push_back(absl::StrCat(FormatPath(err.path), ": ", err.message));
  }
  return out;
}

Finding FindingOf(absl::string_view code, std::optional<uint32_t> pcr) {
  Finding f;
  f.code = std::string(code);
  f.pcr = pcr;
  f.message = absl::StrCat(code, " seen");
  return f;
}

TEST_CASE("validation refuses an exception for each never-waivable code, naming why", "[policy]") {
  for (const NeverWaivable& never : NeverWaivableFindings()) {
    INFO(never.code);
    const std::vector<std::string> errors = ValidationErrors(MakeException("x", never.code));
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0],
               Catch::StartsWith("exceptions[0].finding_code: exception \"x\" waives \"" +
                                 std::string(never.code) + "\""));
    CHECK_THAT(errors[0], Catch::Contains("never waivable: " + std::string(never.reason)));
    CHECK_THAT(errors[0], Catch::Contains("policies/README.md"));
    for (uint32_t pcr : never.pcrs) {  // a selector on the scope does not help
      CHECK(ValidationErrors(MakeException("x", never.code, pcr)).size() == 1);
    }
    if (never.pcrs.empty()) {  // nor any selector, when the code is never waivable anywhere
      CHECK(ValidationErrors(MakeException("x", never.code, 0)).size() == 1);
    } else {  // outside the scope, the code is a waivable warning
      CHECK(ValidationErrors(MakeException("x", never.code, 1)).empty());
    }
  }
  // The same policy text through LoadPolicy (`policy validate`, policy push, dry-run).
  const std::string text = testing::GoodPolicyText(
      R"pb(exceptions {
             name: "forged-ok" owner: "ops" reason: "r" compensating_control: "c"
             expires: "2030-01-01" host: "host-1" finding_code: "event-data-mismatch"
           })pb");
  absl::StatusOr<v1::Policy> loaded = LoadPolicy(text, PolicyFormat::kTextproto, "p.textproto");
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(loaded.status().message()),
             Catch::Contains("exception \"forged-ok\" waives \"event-data-mismatch\", which is "
                             "never waivable"));
}

TEST_CASE("validation accepts exceptions for findings of a boot that differs", "[policy]") {
  for (const char* code : {"image-not-allowed", "clock-not-safe", "cmdline-mismatch",
                           "odd-separator", "unexpected-variable", "uefi-debug-mode",
                           "secure-boot-disabled", "layer-unpinned", "authority-not-in-db"}) {
    INFO(code);
    CHECK(FindNeverWaivable(code) == nullptr);
    CHECK(ValidationErrors(MakeException("x", code)).empty());
  }
}

TEST_CASE("ApplyExceptions never applies an exception for a never-waivable finding", "[policy]") {
  // Such a policy cannot pass validation; build it around it (a stored policy, a bypass).
  for (const NeverWaivable& never : NeverWaivableFindings()) {
    INFO(never.code);
    v1::Policy p = testing::GoodPolicy();
    *p.add_exceptions() = MakeException("any-pcr", never.code);
    const std::optional<uint32_t> pcr =
        never.pcrs.empty() ? std::optional<uint32_t>(4) : never.pcrs.front();
    *p.add_exceptions() = MakeException("its-pcr", never.code, pcr);
    std::vector<Finding> f = {FindingOf(never.code, pcr), FindingOf(never.code, std::nullopt),
                              FindingOf("image-not-allowed", 4)};
    *p.add_exceptions() = MakeException("control", "image-not-allowed");
    CHECK(ApplyExceptions(f, p, testing::kHost, testing::kGroup, kFeb) ==
          std::vector<std::string>{"control"});
    CHECK_FALSE(f[0].waived_by.has_value());
    CHECK_FALSE(f[1].waived_by.has_value());
    CHECK(f[2].waived_by == "control");
    if (!never.pcrs.empty()) {  // the same code off the scope is a waivable warning
      f = {FindingOf(never.code, 1)};
      CHECK(ApplyExceptions(f, p, testing::kHost, testing::kGroup, kFeb) ==
            std::vector<std::string>{"any-pcr"});
    }
  }
}

TEST_CASE("every quote rejection is never waivable", "[policy]") {
  using tpm::QuoteRejection;
  for (QuoteRejection r :
       {QuoteRejection::kBadMagic, QuoteRejection::kNotAQuote, QuoteRejection::kUnsupportedScheme,
        QuoteRejection::kKeySchemeMismatch, QuoteRejection::kBadSignature,
        QuoteRejection::kNonceMismatch, QuoteRejection::kPcrSelectionMissing,
        QuoteRejection::kPcrValuesMissing, QuoteRejection::kPcrDigestMismatch}) {
    INFO(tpm::QuoteRejectionName(r));
    const NeverWaivable* never = FindNeverWaivable(tpm::QuoteRejectionName(r));
    REQUIRE(never != nullptr);
    CHECK(never->pcrs.empty());
  }
}

TEST_CASE("the list has one entry per code, each with a reason", "[policy]") {
  std::set<std::string> codes;
  for (const NeverWaivable& never : NeverWaivableFindings()) {
    CHECK(codes.insert(std::string(never.code)).second);
    CHECK_FALSE(never.reason.empty());
    CHECK(never.reason.find('|') == absl::string_view::npos);  // a README table cell
  }
}

// policies/README.md, section "### Never waivable": its table, as "code|on|why" rows.
std::vector<std::string> ReadmeRows() {
  std::ifstream in(BOOTGATE_SOURCE_DIR "/policies/README.md");
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  const size_t section = all.find("\n### Never waivable\n");
  REQUIRE(section != std::string::npos);
  std::vector<std::string> rows;
  bool in_table = false;
  for (absl::string_view line : absl::StrSplit(absl::string_view(all).substr(section + 1), '\n')) {
    if (absl::StartsWith(line, "#") && !absl::StartsWith(line, "### Never waivable")) break;
    if (!absl::StartsWith(line, "|")) {
      if (in_table) break;
      continue;
    }
    in_table = true;
    std::vector<std::string> cells;
    for (absl::string_view cell : absl::StrSplit(line, '|')) {
      cells.push_back(std::string(absl::StripAsciiWhitespace(cell)));
    }
    REQUIRE(cells.size() == 5);  // "" code on why ""
    if (cells[1] == "code" || absl::StartsWith(cells[1], "---")) continue;
    absl::string_view code = cells[1];
    REQUIRE(absl::ConsumePrefix(&code, "`"));
    REQUIRE(absl::ConsumeSuffix(&code, "`"));
    rows.push_back(absl::StrCat(code, "|", cells[2], "|", cells[3]));
  }
  return rows;
}

TEST_CASE("policies/README.md lists exactly the never-waivable codes, PCRs and reasons",
          "[policy]") {
  std::vector<std::string> code_rows;
  for (const NeverWaivable& never : NeverWaivableFindings()) {
    code_rows.push_back(absl::StrCat(never.code, "|", NeverWaivablePcrs(never), "|", never.reason));
  }
  CHECK(ReadmeRows() == code_rows);
}

}  // namespace
}  // namespace bootgate::policy
