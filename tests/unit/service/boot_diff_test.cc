// History.Diff's event comparison (server/bootgated/boot_diff.h) on two logs made with the
// bootstate log builder, and the one comparison of findings (findings_diff.h) that History.Diff
// and PolicyService.DryRun share.
#include "server/bootgated/boot_diff.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/bootgated/findings_diff.h"
#include "tests/unit/bootstate/boot_log.h"
#include "verifier/eventlog/event_types.h"

namespace bootgate::service {
namespace {

using bootstate::testing::BootLog;
using bootstate::testing::Text;
using eventlog::kEvEfiBootServicesApplication;
using eventlog::kEvIpl;

// grub as Debian's 2.06 logs it (boot_log.cc GrubAndKernel), with its configuration file read
// first (PCR 9: the file's contents hashed, its path as data) and `extra` commands after
// `set root`.
struct Grub {
  std::string config = "menuentry Debian { linux /boot/vmlinuz-6.1.0 }";
  std::vector<std::string> extra;
  std::string cmdline = BootLog::kCmdline;
};

std::string BuildLog(const Grub& grub) {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  log.Separators();
  log.ShimAndGrub();
  auto command = [&](const std::string& text) {
    log.MeasureOther(8, kEvIpl, Text(text, false), Text("grub_cmd: " + text));
  };
  log.MeasureOther(9, kEvIpl, Text(grub.config, false), Text("/boot/grub/grub.cfg"));
  command("set root=hd0,gpt2");
  for (const std::string& c : grub.extra) command(c);
  // grub's own command shows the arguments unquoted; its kernel_cmdline quotes them.
  std::string unquoted = grub.cmdline;
  std::erase(unquoted, '"');
  command("linux " + unquoted);
  log.MeasureOther(9, kEvIpl, Text("kernel file", false), Text("/boot/vmlinuz-6.1.0"));
  log.MeasureOther(4, kEvEfiBootServicesApplication, Text("kernel image", false),
                   bootstate::testing::ImageFromMemory());
  log.MeasureOther(8, kEvIpl, Text(grub.cmdline, false), Text("kernel_cmdline: " + grub.cmdline));
  command("initrd /boot/initrd.img-6.1.0");
  log.MeasureOther(9, kEvIpl, Text("initrd file", false), Text("/boot/initrd.img-6.1.0"));
  command("boot");
  log.ExitBootServices();
  const std::vector<uint8_t> bytes = log.Build();
  return std::string(bytes.begin(), bytes.end());
}

// Every change, "layer PCR type a->b", indices "-" when absent.
std::vector<v1::EventChange> Changes(const std::vector<v1::LayerDiff>& layers) {
  std::vector<v1::EventChange> out;
  for (const v1::LayerDiff& layer : layers) {
    CHECK(layer.changed() == !layer.events().empty());
    for (const v1::EventChange& e : layer.events()) out.push_back(e);
  }
  return out;
}

std::string Render(const std::vector<v1::EventChange>& changes) {
  std::string out;
  for (const v1::EventChange& e : changes) {
    absl::StrAppend(&out, "PCR ", e.pcr(), " ", e.event_type(), " ",
                    e.has_event_index_a() ? absl::StrCat(e.event_index_a()) : "-", " -> ",
                    e.has_event_index_b() ? absl::StrCat(e.event_index_b()) : "-",
                    "\n  a: ", e.description_a(), "\n  b: ", e.description_b(),
                    "\n  detail: ", e.detail(), "\n");
  }
  return out;
}

TEST_CASE("the same log has no changes in any layer", "[history-diff]") {
  const std::string log = BuildLog({});
  const std::vector<v1::LayerDiff> layers = DiffBootChains(log, log);
  REQUIRE(layers.size() == 5);
  CHECK(layers[0].layer() == "firmware");
  CHECK(Changes(layers).empty());
}

TEST_CASE("one grub command inserted in the middle is one added event, none after it",
          "[history-diff]") {
  Grub with_echo;
  with_echo.config = "menuentry Debian { echo loading; linux /boot/vmlinuz-6.1.0 }";
  with_echo.extra = {"echo loading"};
  const std::vector<v1::EventChange> changes =
      Changes(DiffBootChains(BuildLog({}), BuildLog(with_echo)));
  INFO(Render(changes));
  REQUIRE(changes.size() == 2);

  const v1::EventChange& cmd = changes[0];
  CHECK(cmd.pcr() == 8);
  CHECK(cmd.event_type() == "EV_IPL");
  CHECK_FALSE(cmd.has_event_index_a());
  REQUIRE(cmd.has_event_index_b());
  CHECK(cmd.description_a().empty());
  CHECK(cmd.description_b().rfind("grub_cmd: echo loading (sha256 ", 0) == 0);
  CHECK(cmd.detail().empty());

  // The configuration file: same path, other contents: one change, its text and both digests.
  const v1::EventChange& cfg = changes[1];
  CHECK(cfg.pcr() == 9);
  CHECK(cfg.event_type() == "EV_IPL");
  REQUIRE(cfg.has_event_index_a());
  REQUIRE(cfg.has_event_index_b());
  CHECK(cfg.event_index_a() == cfg.event_index_b());  // before the inserted command
  CHECK(cfg.description_a().rfind("/boot/grub/grub.cfg (sha256 ", 0) == 0);
  CHECK(cfg.description_b().rfind("/boot/grub/grub.cfg (sha256 ", 0) == 0);
  CHECK(cfg.description_a() != cfg.description_b());
}

TEST_CASE("a grub command replaced by another of the same verb is one change", "[history-diff]") {
  Grub a, b;
  a.extra = {"set timeout=5", "insmod gzio"};
  b.extra = {"set timeout=0", "insmod gzio"};
  const std::vector<v1::EventChange> changes = Changes(DiffBootChains(BuildLog(a), BuildLog(b)));
  INFO(Render(changes));
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].description_a().rfind("grub_cmd: set timeout=5 (sha256 ", 0) == 0);
  CHECK(changes[0].description_b().rfind("grub_cmd: set timeout=0 (sha256 ", 0) == 0);
}

TEST_CASE("a grub command replaced by one of another verb is a removal and an addition",
          "[history-diff]") {
  Grub a, b;
  a.extra = {"insmod gzio"};
  b.extra = {"echo hi"};
  const std::vector<v1::EventChange> changes = Changes(DiffBootChains(BuildLog(a), BuildLog(b)));
  INFO(Render(changes));
  REQUIRE(changes.size() == 2);
  CHECK((changes[0].has_event_index_a() && !changes[0].has_event_index_b()));
  CHECK((!changes[1].has_event_index_a() && changes[1].has_event_index_b()));
}

TEST_CASE("a changed kernel command line names the arguments as the kernel splits them",
          "[history-diff]") {
  Grub b;
  b.cmdline = "/boot/vmlinuz-6.1.0 root=/dev/sda2 ro \"bootgate.note=a b\"";
  const std::vector<v1::EventChange> changes = Changes(DiffBootChains(BuildLog({}), BuildLog(b)));
  INFO(Render(changes));
  // grub's linux command and kernel_cmdline (PCR 8), nothing else: same grub.cfg.
  REQUIRE(changes.size() == 2);
  const v1::EventChange& linux_cmd = changes[0];
  CHECK(linux_cmd.description_b().rfind(
            "grub_cmd: linux /boot/vmlinuz-6.1.0 root=/dev/sda2 ro bootgate.note=a b (sha256 ",
            0) == 0);
  CHECK(linux_cmd.detail().empty());  // grub's own command line is never split
  const v1::EventChange& cmdline = changes[1];
  CHECK(cmdline.pcr() == 8);
  REQUIRE(cmdline.has_event_index_a());
  REQUIRE(cmdline.has_event_index_b());
  CHECK(cmdline.description_a().rfind("kernel_cmdline: " + BootLog::kCmdline + " (sha256 ", 0) ==
        0);
  CHECK(cmdline.description_b().rfind(
            "kernel_cmdline: /boot/vmlinuz-6.1.0 root=/dev/sda2 ro \"bootgate.note=a b\" (sha256 ",
            0) == 0);
  CHECK(cmdline.detail() == "arguments added: bootgate.note=\"a b\"; arguments removed: quiet");
}

// UEFI_IMAGE_LOAD_EVENT with a zero-length device path at `location` (PFP 10.2.3).
std::vector<uint8_t> ImageAt(uint64_t location) {
  std::vector<uint8_t> out;
  for (uint64_t v : {location, uint64_t{0x1000}, uint64_t{0}, uint64_t{0}}) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  return out;
}

TEST_CASE("where firmware placed an image in memory is not a change", "[history-diff]") {
  auto log = [](uint64_t location, const std::string& image) {
    BootLog b;
    b.Firmware();
    b.Separators();
    b.MeasureOther(4, kEvEfiBootServicesApplication, Text(image, false), ImageAt(location));
    const std::vector<uint8_t> bytes = b.Build();
    return std::string(bytes.begin(), bytes.end());
  };
  CHECK(Changes(DiffBootChains(log(0x7e000000, "kernel"), log(0x7d000000, "kernel"))).empty());
  const std::vector<v1::EventChange> changes =
      Changes(DiffBootChains(log(0x7e000000, "kernel"), log(0x7e000000, "other kernel")));
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].pcr() == 4);
  CHECK(changes[0].description_a().rfind("sha256 ", 0) == 0);
}

TEST_CASE("a log that does not parse counts as empty", "[history-diff]") {
  const std::vector<v1::EventChange> changes = Changes(DiffBootChains("not a log", BuildLog({})));
  CHECK_FALSE(changes.empty());
  for (const v1::EventChange& e : changes) {
    CHECK_FALSE(e.has_event_index_a());
    CHECK(e.has_event_index_b());
  }
}

v1::Finding MakeFinding(const std::string& code, uint32_t pcr, uint32_t event,
                        const std::string& seen) {
  v1::Finding f;
  f.set_code(code);
  f.set_layer("kernel");
  f.set_severity("contraindicated");
  f.set_pcr(pcr);
  f.set_event_index(event);
  f.set_seen(seen);
  f.set_message(absl::StrCat("event ", event, ": ", seen));
  return f;
}

Findings Of(std::vector<v1::Finding> findings) {
  Findings out;
  for (v1::Finding& f : findings) *out.Add() = std::move(f);
  return out;
}

TEST_CASE("findings whose events shifted are the same findings", "[findings-diff]") {
  const Findings before = Of({MakeFinding("cmdline-forbidden-arg", 8, 40, "quiet"),
                              MakeFinding("image-not-allowed", 4, 42, "vmlinuz sha256 aa")});
  const Findings after = Of({MakeFinding("cmdline-forbidden-arg", 8, 41, "quiet"),
                             MakeFinding("image-not-allowed", 4, 43, "vmlinuz sha256 aa")});
  CHECK(DiffFindings(before, after).empty());
  CHECK(SameFindings(before, after));
}

TEST_CASE("findings are compared by code, layer, pcr and seen, as a multiset", "[findings-diff]") {
  const Findings before = Of({MakeFinding("image-not-allowed", 4, 42, "vmlinuz sha256 aa"),
                              MakeFinding("cmdline-forbidden-arg", 8, 40, "quiet")});
  const Findings after = Of({MakeFinding("image-not-allowed", 4, 43, "vmlinuz sha256 bb"),
                             MakeFinding("cmdline-forbidden-arg", 8, 41, "quiet"),
                             MakeFinding("cmdline-forbidden-arg", 8, 44, "quiet")});
  const FindingsDiff diff = DiffFindings(before, after);
  REQUIRE(diff.added.size() == 2);
  CHECK(diff.added[0].seen() == "vmlinuz sha256 bb");
  CHECK(diff.added[1].code() == "cmdline-forbidden-arg");
  CHECK(diff.added[1].event_index() == 44);  // the second of two: the one before lacks
  REQUIRE(diff.removed.size() == 1);
  CHECK(diff.removed[0].seen() == "vmlinuz sha256 aa");
  CHECK_FALSE(SameFindings(before, after));

  v1::Finding other_pcr = MakeFinding("cmdline-forbidden-arg", 9, 40, "quiet");
  CHECK(FindingIdentity(other_pcr) != FindingIdentity(before[1]));
}

TEST_CASE("a finding waived by another exception is the same finding but not the same verdict",
          "[findings-diff]") {
  const Findings before = Of({MakeFinding("cmdline-forbidden-arg", 8, 40, "quiet")});
  Findings after = before;
  after[0].set_waived_by("quiet-is-fine");
  CHECK(DiffFindings(before, after).empty());
  CHECK_FALSE(SameFindings(before, after));
}

}  // namespace
}  // namespace bootgate::service
