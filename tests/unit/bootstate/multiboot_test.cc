#include "verifier/bootstate/multiboot.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace bootgate::bootstate {
namespace {

BootImage File(uint32_t index, const std::string& path) {
  BootImage f;
  f.event_index = index;
  f.path = path;
  return f;
}

TEST_CASE("multiboot2 and module2 commands link to grub's files by path, in PCR 9 order",
          "[bootstate]") {
  const std::vector<GrubCommand> commands = {{27, "set root=hd0,gpt2"},
                                             {29, "multiboot2 /boot/xen.gz dom0_mem=4096M"},
                                             {30, "module2 /boot/vmlinuz root=/dev/sda1 ro"},
                                             {31, "module2 --nounzip /boot/initrd.img"}};
  const std::vector<BootImage> files = {File(33, "(hd0,gpt2)/boot/grub/grub.cfg"),
                                        File(34, "/boot/xen.gz"), File(35, "/boot/vmlinuz"),
                                        File(36, "(hd0,gpt2)/boot/initrd.img")};
  const std::vector<GrubLoad> loads = LinkMultibootLoads(commands, files);
  REQUIRE(loads.size() == 3);
  CHECK(loads[0].kind == GrubLoad::Kind::kHypervisor);
  CHECK(loads[0].command_event == 29);
  CHECK(loads[0].path == "/boot/xen.gz");
  REQUIRE(loads[0].file.has_value());
  CHECK(loads[0].file->event_index == 34);
  CHECK(loads[1].kind == GrubLoad::Kind::kModule);
  REQUIRE(loads[1].file.has_value());
  CHECK(loads[1].file->event_index == 35);
  CHECK(loads[2].path == "/boot/initrd.img");  // --nounzip skipped
  REQUIRE(loads[2].file.has_value());
  CHECK(loads[2].file->event_index == 36);  // grub device prefix ignored
}

TEST_CASE("a load command with no measured file of its path has no file", "[bootstate]") {
  const std::vector<GrubLoad> loads =
      LinkMultibootLoads({{29, "multiboot2 /boot/xen.gz"}}, {File(34, "/boot/other.gz")});
  REQUIRE(loads.size() == 1);
  CHECK_FALSE(loads[0].file.has_value());
}

TEST_CASE("each measured file is linked once, and never before the previous load's file",
          "[bootstate]") {
  // /m was measured before /x in PCR 9, so it cannot be the module loaded after /x; and a
  // second /m load has no measurement of its own.
  const std::vector<GrubLoad> loads =
      LinkMultibootLoads({{29, "multiboot2 /x"}, {30, "module2 /m"}, {31, "module2 /m"}},
                         {File(34, "/m"), File(35, "/x")});
  REQUIRE(loads.size() == 3);
  REQUIRE(loads[0].file.has_value());
  CHECK(loads[0].file->event_index == 35);
  CHECK_FALSE(loads[1].file.has_value());
  CHECK_FALSE(loads[2].file.has_value());
  const std::vector<GrubLoad> twice =
      LinkMultibootLoads({{29, "multiboot2 /x"}, {30, "module2 /m"}, {31, "module2 /m"}},
                         {File(34, "/x"), File(35, "/m")});
  REQUIRE(twice[1].file.has_value());
  CHECK(twice[1].file->event_index == 35);
  CHECK_FALSE(twice[2].file.has_value());
}

TEST_CASE("a later multiboot2 command replaces the earlier one and its modules", "[bootstate]") {
  const std::vector<GrubLoad> loads = LinkMultibootLoads({{10, "module2 /orphan"},
                                                          {11, "multiboot2 /a"},
                                                          {12, "module2 /m1"},
                                                          {13, "multiboot2 /b"},
                                                          {14, "module2 /m2"},
                                                          {15, "linux /vmlinuz"}},
                                                         {});
  REQUIRE(loads.size() == 2);
  CHECK(loads[0].path == "/b");
  CHECK(loads[0].command_event == 13);
  CHECK(loads[1].path == "/m2");
}

TEST_CASE("grub devices are stripped from paths for matching only", "[bootstate]") {
  CHECK(WithoutGrubDevice("(hd0,gpt2)/boot/xen.gz") == "/boot/xen.gz");
  CHECK(WithoutGrubDevice("/boot/xen.gz") == "/boot/xen.gz");
  CHECK(WithoutGrubDevice("(unclosed") == "(unclosed");
}

}  // namespace
}  // namespace bootgate::bootstate
