// The boot chain as `eventlog show` and `policy check` print it: the command line's arguments
// as the kernel splits them (an argument with a quoted space is one argument).
#include "cli/boot_chain_view.h"

#include <catch2/catch.hpp>
#include <string>

namespace bootgate::cli {
namespace {

bootstate::BootState WithCommandLine(const std::string& cmdline) {
  bootstate::BootState s;
  s.kernel.image_reason = "the only boot application";
  s.kernel.command_line = cmdline;
  s.kernel.command_line_event = 30;
  return s;
}

TEST_CASE("the boot chain shows the command line's arguments as the kernel splits them", "[cli]") {
  // grub's kernel_cmdline for `linux /vmlinuz root=UUID=3f7c ro "dyndbg=file a.c +p"`.
  const bootstate::BootState s =
      WithCommandLine("/vmlinuz root=UUID=3f7c ro \"dyndbg=file a.c +p\"");
  const nlohmann::ordered_json j = BootChainJson(s);
  CHECK(j["command_line"] == "/vmlinuz root=UUID=3f7c ro \"dyndbg=file a.c +p\"");
  CHECK(j["command_line_event"] == 30);
  CHECK(j["arguments"] == nlohmann::ordered_json::parse(R"([
    {"name": "/vmlinuz", "text": "/vmlinuz"},
    {"name": "root", "value": "UUID=3f7c", "text": "root=UUID=3f7c"},
    {"name": "ro", "text": "ro"},
    {"name": "dyndbg", "value": "file a.c +p", "text": "dyndbg=\"file a.c +p\""}
  ])"));

  const std::string table = BootChainTable(s);
  CHECK_THAT(table, Catch::Contains("command line /vmlinuz root=UUID=3f7c ro \"dyndbg=file a.c "
                                    "+p\"  (event 30)\n"));
  CHECK_THAT(table, Catch::Contains("arguments    [/vmlinuz] [root=UUID=3f7c] [ro] "
                                    "[dyndbg=\"file a.c +p\"]"));
}

TEST_CASE("without a command line in text there are no arguments to show", "[cli]") {
  bootstate::BootState s;
  s.kernel.load_options = bootstate::BootImage{.event_index = 22, .digests = {}, .path = ""};
  CHECK(BootChainJson(s)["arguments"].is_null());
  CHECK_THAT(BootChainTable(s), !Catch::Contains("arguments"));
  CHECK(BootChainJson(WithCommandLine(""))["arguments"] == nlohmann::ordered_json::array());
  CHECK_THAT(BootChainTable(WithCommandLine(" ")), Catch::Contains("arguments    none"));
}

}  // namespace
}  // namespace bootgate::cli
