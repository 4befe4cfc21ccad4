// The initrd (kernel.initrd) and grub's configuration (boot_loader.grub): issue 16's rules.
// Expectations follow the policy schema's comments (proto/bootgate/v1/policy.proto): one
// finding per deviation, aligned by content, never blamed on another layer's rule.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/unit/policy/testdata.h"
#include "verifier/policy/evaluate.h"
#include "verifier/policy/load.h"

namespace bootgate::policy {
namespace {

using appraisal::Finding;
using appraisal::Layer;
using appraisal::Severity;
using testing::Bytes32;
using testing::Codes;
using testing::Context;
using testing::GoodPolicy;
using testing::GoodPolicyText;
using testing::GoodState;
using testing::Hex64;
using testing::Only;

std::vector<Finding> Judge(const bootstate::BootState& s, const v1::Policy& p) {
  return Evaluate(s, Context(), p);
}

// GoodState with `command` run by grub right after the command at `after` (by position).
bootstate::BootState WithCommand(size_t after, uint32_t event, const std::string& command) {
  bootstate::BootState s = GoodState();
  auto& commands = s.boot_loader.grub_commands;
  commands.insert(commands.begin() + static_cast<std::ptrdiff_t>(after + 1), {event, command});
  return s;
}

TEST_CASE("the good state has an initrd and grub commands, and passes", "[policy][initrd]") {
  CHECK(Judge(GoodState(), GoodPolicy()).empty());
}

TEST_CASE("an initrd that differs is initrd-not-allowed, naming path and both digests",
          "[policy][initrd]") {
  bootstate::BootState s = GoodState();
  s.kernel.grub_initrd[0].file->digests[crypto::HashAlg::kSha256] = Bytes32('e');
  const Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "initrd-not-allowed");
  CHECK(f.layer == Layer::kKernel);
  CHECK(f.severity == Severity::kContraindicated);
  CHECK(f.pcr == 9u);
  CHECK(f.event_index == 36u);
  CHECK(f.seen == absl::StrCat("/boot/initrd.img-6.1.0-18-amd64 sha256 ", Hex64('e')));
  CHECK_THAT(f.allowed, Catch::Contains(absl::StrCat("sha256 ", Hex64('3'))));
  CHECK_THAT(f.message, Catch::Contains("initrd.img-6.1.0-18-amd64"));
  CHECK_THAT(f.hint, Catch::Contains("--layer initrd"));
}

TEST_CASE("the initrd grub's command names is judged, not the file's label", "[policy][initrd]") {
  bootstate::BootState s = GoodState();
  s.kernel.grub_initrd[0].file->path = "/boot/label-is-display-only";
  s.kernel.grub_initrd[0].file->digests[crypto::HashAlg::kSha256] = Bytes32('e');
  CHECK_THAT(Only(s, GoodPolicy()).seen, Catch::StartsWith("/boot/initrd.img-6.1.0-18-amd64 "));
}

TEST_CASE("an unpinned initrd passes with a warning; no rule at all fails closed",
          "[policy][initrd]") {
  bootstate::BootState s = GoodState();
  s.kernel.grub_initrd[0].file->digests[crypto::HashAlg::kSha256] = Bytes32('e');
  v1::Policy p = GoodPolicy();
  p.mutable_groups(0)->mutable_kernel()->mutable_initrd()->clear_allowed();
  p.mutable_groups(0)->mutable_kernel()->mutable_initrd()->set_unpinned(true);
  Finding f = Only(s, p);
  CHECK(f.code == "layer-unpinned");
  CHECK(f.severity == Severity::kWarning);
  CHECK_THAT(f.message, Catch::Contains("debian-12.kernel.initrd"));

  p.mutable_groups(0)->mutable_kernel()->clear_initrd();
  f = Only(s, p);
  CHECK(f.code == "empty-baseline-layer");
  CHECK_THAT(f.message, Catch::Contains("debian-12.kernel.initrd"));
  // A boot without an initrd needs no initrd rule.
  s.kernel.grub_initrd.clear();
  CHECK(Judge(s, p).empty());
}

TEST_CASE("an initrd command with no measured file, and the EFI stub's initrd",
          "[policy][initrd]") {
  bootstate::BootState s = GoodState();
  s.kernel.grub_initrd[0].file.reset();
  Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "initrd-not-measured");
  CHECK(f.event_index == 35u);

  s = GoodState();
  s.kernel.stub_initrd = bootstate::BootImage{.event_index = 23, .digests = {}, .path = "x"};
  s.kernel.stub_initrd->digests[crypto::HashAlg::kSha256] = Bytes32('3');
  CHECK(Judge(s, GoodPolicy()).empty());  // the same initrd, measured by the stub too
  s.kernel.stub_initrd->digests[crypto::HashAlg::kSha256] = Bytes32('e');
  f = Only(s, GoodPolicy());
  CHECK(f.code == "initrd-not-allowed");
  CHECK(f.event_index == 23u);
}

TEST_CASE("one added grub command is exactly one finding naming it and the changed grub.cfg",
          "[policy][grub]") {
  bootstate::BootState s = WithCommand(/*after=*/1, 40, "set bootgate_extra=1");
  s.boot_loader.grub_config_files[0].digests[crypto::HashAlg::kSha256] = Bytes32('e');
  const Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "grub-command-added");
  CHECK(f.layer == Layer::kBootLoader);
  CHECK(f.severity == Severity::kContraindicated);
  CHECK(f.pcr == 8u);
  CHECK(f.event_index == 40u);
  CHECK(f.seen == "set bootgate_extra=1");
  CHECK_THAT(f.message, Catch::Contains("`set bootgate_extra=1`"));
  CHECK_THAT(f.message, Catch::Contains("(hd0,gpt2)/boot/grub/grub.cfg sha256 eeeeeeeeeeee"));
  CHECK_THAT(f.hint, Catch::Contains("bootgate baseline learn"));
}

TEST_CASE("removed and changed grub commands", "[policy][grub]") {
  bootstate::BootState s = GoodState();
  s.boot_loader.grub_commands.erase(s.boot_loader.grub_commands.begin() + 1);  // set timeout=0
  Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "grub-command-removed");
  CHECK(f.allowed == "set timeout=0");
  CHECK_FALSE(f.event_index.has_value());

  s = GoodState();
  s.boot_loader.grub_commands[1].text = "set timeout=5";
  f = Only(s, GoodPolicy());
  CHECK(f.code == "grub-command-changed");
  CHECK(f.seen == "set timeout=5");
  CHECK(f.allowed == "set timeout=0");
  CHECK(f.event_index == 33u);
}

TEST_CASE("a changed kernel command line is the kernel layer's finding only", "[policy][grub]") {
  bootstate::BootState s = GoodState();
  const std::string cmdline = absl::StrCat(testing::kCmdline, " init=/bin/sh");
  s.kernel.command_line = cmdline;
  s.boot_loader.grub_commands[2].text = absl::StrCat("linux ", cmdline);
  s.kernel.grub_initrd[0].command = "initrd /boot/other";  // the initrd command's path
  s.boot_loader.grub_commands[3].text = "initrd /boot/other";
  for (const Finding& f : Judge(s, GoodPolicy())) {
    INFO(f.code << ": " << f.message);
    CHECK(f.layer == Layer::kKernel);
    CHECK(f.code.rfind("cmdline-", 0) == 0);
  }
}

TEST_CASE("a grub.cfg changed in its linux line is the kernel layer's finding only",
          "[policy][grub]") {
  bootstate::BootState s = GoodState();
  const std::string cmdline = absl::StrCat(testing::kCmdline, " bootgate.note=1");
  s.kernel.command_line = cmdline;
  s.boot_loader.grub_commands[2].text = absl::StrCat("linux ", cmdline);
  s.boot_loader.grub_config_files[0].digests[crypto::HashAlg::kSha256] = Bytes32('e');
  const Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "cmdline-mismatch");
}

TEST_CASE("a grub.cfg changed where grub did not run it is an info finding", "[policy][grub]") {
  bootstate::BootState s = GoodState();
  s.boot_loader.grub_config_files[0].digests[crypto::HashAlg::kSha256] = Bytes32('e');
  const Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "grub-config-changed");
  CHECK(f.severity == Severity::kInfo);
  CHECK(f.event_index == 32u);
}

TEST_CASE("command patterns: `*` matches any run; the kernel layer's commands are exempt",
          "[policy][grub]") {
  v1::Policy p = GoodPolicy();
  v1::GrubRule& grub = *p.mutable_groups(0)->mutable_boot_loader()->mutable_grub();
  grub.clear_commands();
  grub.clear_config_files();
  grub.add_command_patterns("source (hd0,gpt*)/boot/grub/grub.cfg");
  grub.add_command_patterns("set timeout=*");
  grub.add_command_patterns("boot");
  CHECK(Judge(GoodState(), p).empty());
  bootstate::BootState s = WithCommand(0, 40, "set timeout");  // the pattern needs the '='
  Finding f = Only(s, p);
  CHECK(f.code == "grub-command-not-allowed");
  CHECK(f.seen == "set timeout");
  s = WithCommand(0, 40, "boot now");  // a pattern without `*` matches exactly
  CHECK(Only(s, p).code == "grub-command-not-allowed");
}

TEST_CASE("grub commands without a grub rule fail closed; unpinned warns", "[policy][grub]") {
  v1::Policy p = GoodPolicy();
  p.mutable_groups(0)->mutable_boot_loader()->clear_grub();
  Finding f = Only(GoodState(), p);
  CHECK(f.code == "empty-baseline-layer");
  CHECK_THAT(f.message, Catch::Contains("debian-12.boot_loader.grub"));
  p.mutable_groups(0)->mutable_boot_loader()->mutable_grub()->set_unpinned(true);
  f = Only(WithCommand(0, 40, "insmod evil"), p);
  CHECK(f.code == "layer-unpinned");
  // A boot loader layer that is unpinned as a whole covers grub too.
  p.mutable_groups(0)->mutable_boot_loader()->Clear();
  p.mutable_groups(0)->mutable_boot_loader()->set_unpinned(true);
  CHECK(Only(GoodState(), p).code == "layer-unpinned");
}

TEST_CASE("validation: one way to judge grub, and the initrd pinned or unpinned",
          "[policy][grub][initrd]") {
  // GoodPolicyText with `extra` inserted right after `anchor`.
  auto refused = [](const std::string& anchor, const std::string& extra) {
    std::string text = GoodPolicyText();
    REQUIRE(text.find(anchor) != std::string::npos);
    text.insert(text.find(anchor) + anchor.size(), extra);
    absl::StatusOr<v1::Policy> p = LoadPolicy(text, PolicyFormat::kTextproto, "p.textproto");
    return p.ok() ? std::string() : std::string(p.status().message());
  };
  CHECK_THAT(refused("    grub {\n", "      unpinned: true\n"), Catch::Contains("alternatives"));
  CHECK_THAT(refused("    grub {\n", "      command_patterns: \"\"\n"),
             Catch::Contains("alternatives"));
  CHECK_THAT(refused("initrd {", " unpinned: true "), Catch::Contains("initrd"));
}

}  // namespace
}  // namespace bootgate::policy
