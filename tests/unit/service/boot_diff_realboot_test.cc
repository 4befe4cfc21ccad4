// History.Diff on captured real boots (tests/data/realboot/): Debian 12's grub under shim on
// OVMF, each scenario differing from golden in one thing.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/bootgated/boot_diff.h"

namespace bootgate::service {
namespace {

std::vector<v1::EventChange> Changes(const std::vector<v1::LayerDiff>& layers) {
  std::vector<v1::EventChange> out;
  for (const v1::LayerDiff& layer : layers) {
    for (const v1::EventChange& e : layer.events()) out.push_back(e);
  }
  return out;
}

std::string Render(const std::vector<v1::EventChange>& changes) {
  std::string out;
  for (const v1::EventChange& e : changes) {
    absl::StrAppend(&out, "PCR ", e.pcr(), " ", e.event_type(), "\n  a: ", e.description_a(),
                    "\n  b: ", e.description_b(), "\n  detail: ", e.detail(), "\n");
  }
  return out;
}

std::string RealbootLog(const std::string& scenario) {
  const std::string path =
      absl::StrCat(BOOTGATE_SOURCE_DIR, "/tests/data/realboot/", scenario, "/eventlog.bin");
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_CASE("real boots: one more grub command is one added event and grub.cfg one change",
          "[history-diff]") {
  const std::vector<v1::EventChange> changes =
      Changes(DiffBootChains(RealbootLog("golden"), RealbootLog("grub-extra-cmd")));
  INFO(Render(changes));
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].pcr() == 8);
  CHECK_FALSE(changes[0].has_event_index_a());
  CHECK(changes[0].description_b().rfind("grub_cmd: set bootgate_extra=1 (sha256 ", 0) == 0);
  CHECK(changes[1].pcr() == 9);
  CHECK(changes[1].has_event_index_a());
  CHECK(changes[1].has_event_index_b());
  CHECK(changes[1].description_a().find("grub.cfg (sha256 ") != std::string::npos);
}

TEST_CASE("real boots: a quoted kernel argument is one argument added", "[history-diff]") {
  const std::vector<v1::EventChange> changes =
      Changes(DiffBootChains(RealbootLog("golden"), RealbootLog("quoted-arg")));
  INFO(Render(changes));
  // grub's linuxefi command and kernel_cmdline (PCR 8), grub.cfg (PCR 9).
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].description_b().rfind("grub_cmd: linuxefi ", 0) == 0);
  CHECK(changes[0].detail().empty());
  CHECK(changes[1].description_b().rfind("kernel_cmdline: ", 0) == 0);
  CHECK(changes[1].detail() == "arguments added: bootgate.note=\"a b\"");
  CHECK(changes[2].pcr() == 9);
}

TEST_CASE("real boots: where firmware placed an image in memory is not a change",
          "[history-diff]") {
  // golden and grub-extra-cmd load the same kernel at different addresses (event 30).
  for (const v1::LayerDiff& layer :
       DiffBootChains(RealbootLog("golden"), RealbootLog("grub-extra-cmd"))) {
    if (layer.layer() == "boot-loader") CHECK_FALSE(layer.changed());
  }
}

}  // namespace
}  // namespace bootgate::service
