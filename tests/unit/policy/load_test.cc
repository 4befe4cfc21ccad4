#include "verifier/policy/load.h"

#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/unit/policy/testdata.h"

namespace bootgate::policy {
namespace {

using testing::GoodPolicyText;
using testing::Hex64;

std::string LoadError(const std::string& text, PolicyFormat format = PolicyFormat::kTextproto) {
  absl::StatusOr<v1::Policy> p = LoadPolicy(text, format, "p.textproto");
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(p.status().message());
}

// The 1-based line of the first occurrence of `needle` in `text`.
int LineOf(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

// "line:column" (1-based) of the first occurrence of `needle`.
std::string PosOf(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  const size_t line_start =
      text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
  return absl::StrCat(LineOf(text, needle), ":", at - line_start + 1);
}

constexpr char kException[] = R"pb(
exceptions {
  name: "grub-hotfix"
  owner: "platform-team"
  reason: "grub 2.06-13+hotfix rolls out this week"
  compensating_control: "hosts run only test workloads"
  created: "2026-01-01"
  expires: "2026-03-31"
  host: "host-1"
  finding_code: "image-not-allowed"
}
)pb";

TEST_CASE("a good textproto policy loads with every field", "[policy]") {
  absl::StatusOr<v1::Policy> p =
      LoadPolicy(GoodPolicyText(kException), PolicyFormat::kTextproto, "p");
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  CHECK(p->name() == "test-policy");
  CHECK(p->version() == "7");
  REQUIRE(p->groups_size() == 1);
  CHECK(p->groups(0).boot_loader().allowed(0).source() == "shim-signed 1.39");
  CHECK(p->groups(0).kernel().cmdline().exact() == testing::kCmdline);
  CHECK(p->groups(0).verdict_ttl().seconds() == 3600);
  REQUIRE(p->exceptions_size() == 1);
  CHECK(p->exceptions(0).host() == "host-1");
}

TEST_CASE("a JSON policy loads, digests as hex strings and the TTL as a duration", "[policy]") {
  const std::string json = absl::StrCat(R"({"name": "j", "version": "1", "groups": [{"name": "g",
    "hosts": ["h"], "verdictTtl": "600s", "kernel": {"allowed": [{"name": "k", "sha256": ")",
                                        Hex64('7'), R"("}]}}]})");
  absl::StatusOr<v1::Policy> p = LoadPolicy(json, PolicyFormat::kJson, "p.json");
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  CHECK(p->groups(0).verdict_ttl().seconds() == 600);
  CHECK(p->groups(0).kernel().allowed(0).sha256() == Hex64('7'));
}

TEST_CASE("an unknown textproto field is refused with its line and column", "[policy]") {
  const std::string text =
      absl::StrReplaceAll(GoodPolicyText(), {{"min_dbx_entries: 2", "min_dbx_entrys: 2"}});
  const std::string err = LoadError(text);
  CHECK_THAT(err,
             Catch::StartsWith(absl::StrCat("p.textproto:", LineOf(text, "min_dbx_entrys"), ":")));
  CHECK_THAT(err, Catch::Contains("min_dbx_entrys"));
}

TEST_CASE("an unknown JSON field is refused, naming the field", "[policy]") {
  const std::string err =
      LoadError(R"({"name": "j", "version": "1", "groupz": []})", PolicyFormat::kJson);
  CHECK_THAT(err, Catch::StartsWith("p.textproto: not a policy in JSON: "));
  CHECK_THAT(err, Catch::Contains("groupz"));
}

TEST_CASE("a bad hex digest is refused with line and field path", "[policy]") {
  const std::string bad = Hex64('6').substr(0, 63);
  const std::string text = absl::StrReplaceAll(GoodPolicyText(), {{Hex64('6'), bad}});
  const std::string err = LoadError(text);
  CHECK(err == absl::StrCat("p.textproto:", PosOf(text, "sha256: \"" + bad),
                            ": groups[0].boot_loader.allowed[1].sha256: \"", bad,
                            "\" is not a SHA-256 digest: 63 characters, want 64 lowercase hex"));
}

TEST_CASE("uppercase and non-hex digests are refused, not normalised", "[policy]") {
  std::string upper = Hex64('d');
  upper[0] = 'D';
  CHECK_THAT(LoadError(absl::StrReplaceAll(GoodPolicyText(), {{Hex64('d'), upper}})),
             Catch::Contains("groups[0].secure_boot.db[0].sha256: \"" + upper +
                             "\" has uppercase hex; write digests in lowercase"));
  std::string junk = Hex64('1');
  junk[5] = 'g';
  CHECK_THAT(LoadError(absl::StrReplaceAll(GoodPolicyText(), {{Hex64('1'), junk}})),
             Catch::Contains("groups[0].secure_boot.dbx_must_contain[0]: \"" + junk +
                             "\" is not hex: 'g'"));
}

TEST_CASE("JSON validation errors name the field path", "[policy]") {
  const std::string json =
      absl::StrCat(R"({"name": "j", "version": "1", "groups": [)",
                   R"({"name": "a", "hosts": ["h1"], "verdictTtl": "60s"},)",
                   R"({"name": "b", "hosts": ["h2"], "verdictTtl": "60s",)",
                   R"( "bootLoader": {"allowed": [{"name": "grub", "sha256": "abc"}]}}]})");
  CHECK(LoadError(json, PolicyFormat::kJson) ==
        "p.textproto: groups[1].boot_loader.allowed[0].sha256: \"abc\" is not a SHA-256 digest: 3 "
        "characters, want 64 lowercase hex");
}

TEST_CASE("a group without hosts is refused", "[policy]") {
  const std::string text =
      absl::StrReplaceAll(GoodPolicyText(), {{"  hosts: \"host-1\"\n  hosts: \"host-2\"\n", ""}});
  CHECK(LoadError(text) == absl::StrCat("p.textproto:", LineOf(text, "groups {"),
                                        ":1: groups[0].hosts: a group needs at least one host"));
}

TEST_CASE("a host in two groups is refused, naming both", "[policy]") {
  const std::string text = GoodPolicyText(R"pb(
groups { name: "other" hosts: "host-9" hosts: "host-2" verdict_ttl { seconds: 60 } }
)pb");
  CHECK(LoadError(text) ==
        absl::StrCat("p.textproto:", PosOf(text, "hosts: \"host-2\" verdict"),
                     ": groups[1].hosts[1]: host \"host-2\" is already in "
                     "group \"debian-12\" (groups[0]); a host belongs to one group"));
}

TEST_CASE("duplicate group names are refused", "[policy]") {
  const std::string text =
      GoodPolicyText(R"pb(groups { name: "debian-12" hosts: "x" verdict_ttl { seconds: 1 } })pb");
  CHECK_THAT(LoadError(text),
             Catch::EndsWith("groups[1].name: duplicate group name \"debian-12\""));
}

TEST_CASE("an exception missing its owner is refused, naming the exception", "[policy]") {
  const std::string text =
      GoodPolicyText(absl::StrReplaceAll(kException, {{"  owner: \"platform-team\"\n", ""}}));
  CHECK(LoadError(text) ==
        absl::StrCat("p.textproto:", LineOf(text, "exceptions {"),
                     ":1: exceptions[0].owner: exception \"grub-hotfix\" has no owner"));
}

TEST_CASE("an exception must have every accountability field and an expiry", "[policy]") {
  for (const char* field : {"name", "reason", "compensating_control", "expires", "finding_code"}) {
    std::string ex = kException;
    const size_t at = ex.find(absl::StrCat("  ", field, ": "));
    REQUIRE(at != std::string::npos);
    ex.erase(at, ex.find('\n', at) - at + 1);
    const std::string err = LoadError(GoodPolicyText(ex));
    INFO(err);
    CHECK_THAT(err, Catch::Contains(absl::StrCat("exceptions[0].", field, ": exception")));
  }
  CHECK_THAT(
      LoadError(GoodPolicyText(absl::StrReplaceAll(kException, {{"  host: \"host-1\"\n", ""}}))),
      Catch::EndsWith("exceptions[0]: exception \"grub-hotfix\" names neither a host nor a group"));
  CHECK_THAT(LoadError(GoodPolicyText(absl::StrReplaceAll(kException, {{"host-1", "host-404"}}))),
             Catch::Contains("names host \"host-404\", which no group lists"));
  CHECK_THAT(
      LoadError(GoodPolicyText(absl::StrReplaceAll(kException, {{"2026-03-31", "31/03/2026"}}))),
      Catch::Contains(
          "exceptions[0].expires: exception \"grub-hotfix\": \"31/03/2026\" is not a date"));
  CHECK_THAT(
      LoadError(GoodPolicyText(absl::StrReplaceAll(kException, {{"2026-03-31", "2025-12-31"}}))),
      Catch::Contains("expires before it is created"));
}

TEST_CASE("boot_loader none (a kernel the firmware starts) excludes allowed and unpinned",
          "[policy]") {
  absl::StatusOr<v1::Policy> p = LoadPolicy(R"pb(name: "n" version: "1"
      groups { name: "g" hosts: "h" verdict_ttl { seconds: 60 } boot_loader { none: true } })pb",
                                            PolicyFormat::kTextproto, "p.textproto");
  REQUIRE(p.ok());
  CHECK(p->groups(0).boot_loader().none());
  for (const char* other :
       {"unpinned: true",
        "allowed { name: \"shim\" sha256: \""
        "0000000000000000000000000000000000000000000000000000000000000000\" }"}) {
    INFO(other);
    CHECK_THAT(LoadError(absl::StrCat(R"pb(name: "n" version: "1"
        groups { name: "g" hosts: "h" verdict_ttl { seconds: 60 } boot_loader { none: true )pb",
                                      other, " } }")),
               Catch::Contains("groups[0].boot_loader: none (no boot loader) together with"));
  }
}

TEST_CASE("group-level checks: TTL, banks, PCR specs, unpinned with values", "[policy]") {
  CHECK_THAT(
      LoadError(absl::StrReplaceAll(GoodPolicyText(), {{"  verdict_ttl { seconds: 3600 }\n", ""}})),
      Catch::Contains("groups[0].verdict_ttl: required and > 0"));
  CHECK_THAT(LoadError(absl::StrReplaceAll(
                 GoodPolicyText(), {{"required_banks: \"sha256\"", "required_banks: \"md5\""}})),
             Catch::Contains("groups[0].required_banks[0]: unknown bank \"md5\""));
  for (const char* spec :
       {"sha256:0-24", "sha256:", "sha256:7-3", "sha999:1", "sha256:1,,2", "sha256:+1", "0-7"}) {
    INFO(spec);
    CHECK_THAT(LoadError(absl::StrReplaceAll(GoodPolicyText(), {{"sha256:0-7", spec}})),
               Catch::Contains("groups[0].required_pcrs[0]: "));
  }
  CHECK_THAT(LoadError(absl::StrReplaceAll(
                 GoodPolicyText(), {{"  firmware {\n", "  firmware {\n    unpinned: true\n"}})),
             Catch::Contains("groups[0].firmware: unpinned and allowed values together"));
}

TEST_CASE("secure_boot.required: false is kept as written, in textproto and JSON", "[policy]") {
  const std::string text =
      absl::StrReplaceAll(GoodPolicyText(), {{"    required: true\n", "    required: false\n"}});
  absl::StatusOr<v1::Policy> p = LoadPolicy(text, PolicyFormat::kTextproto, "p.textproto");
  REQUIRE(p.ok());
  CHECK(p->groups(0).secure_boot().has_required());
  CHECK_FALSE(p->groups(0).secure_boot().required());
  p = LoadPolicy(R"({"name": "n", "version": "1", "groups": [{"name": "g", "hosts": ["h"],
      "verdictTtl": "60s", "secureBoot": {"required": false}}]})",
                 PolicyFormat::kJson, "p.json");
  REQUIRE(p.ok());
  CHECK(p->groups(0).secure_boot().has_required());
  // A choice and "anything" together are ambiguous, whichever value the choice has.
  CHECK_THAT(LoadError(R"pb(name: "n" version: "1"
      groups { name: "g" hosts: "h" verdict_ttl { seconds: 60 }
               secure_boot { required: false unpinned: true } })pb"),
             Catch::Contains("groups[0].secure_boot: unpinned and allowed values together"));
}

TEST_CASE("every validation error is reported, one per line", "[policy]") {
  const std::string err = LoadError(R"pb(groups { hosts: "a" hosts: "a" })pb");
  CHECK(err ==
        "p.textproto: name: required\n"
        "p.textproto: version: required\n"
        "p.textproto:1:1: groups[0].name: required\n"
        "p.textproto:1:1: groups[0].verdict_ttl: required and > 0 (how long a verdict counts, e.g. "
        "\"3600s\")\n"
        "p.textproto:1:21: groups[0].hosts[1]: host \"a\" is listed twice");
}

TEST_CASE("textproto syntax errors carry line and column", "[policy]") {
  CHECK_THAT(LoadError("name: \"x\"\nversion: 3 groups {"), Catch::StartsWith("p.textproto:2:"));
}

TEST_CASE("policy format follows the file name", "[policy]") {
  CHECK(*PolicyFormatFromPath("a/b.json") == PolicyFormat::kJson);
  CHECK(*PolicyFormatFromPath("b.textproto") == PolicyFormat::kTextproto);
  CHECK(*PolicyFormatFromPath("b.txtpb") == PolicyFormat::kTextproto);
  CHECK_FALSE(PolicyFormatFromPath("b.yaml").ok());
}

}  // namespace
}  // namespace bootgate::policy
