// Expectations come from the documented rules, not from the implementation:
// - grub's command line (grub-core/lib/cmdline.c, grub_create_loader_cmdline): the arguments
//   of `linux` joined by one space; an argument holding a space is wrapped in "..."; \ ' "
//   are escaped with a backslash.
// - Linux (Documentation/admin-guide/kernel-parameters.rst and lib/cmdline.c next_arg()):
//   arguments are separated by whitespace; double quotes protect spaces ('param="spaces in
//   here"'), and "you can use \" around spaces, but can't escape \""; the first '=' splits
//   name and value; '-' and '_' are the same in names (kernel/params.c parameq()); isspace()
//   is lib/ctype.c's: \t \n \v \f \r, space and 0xA0.
#include "verifier/bootstate/kernel_cmdline.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bootgate::bootstate {
namespace {

// (name, value) pairs, for comparing a split in one line.
using NameValue = std::pair<std::string, std::optional<std::string>>;

std::vector<NameValue> Split(absl::string_view cmdline) {
  std::vector<NameValue> out;
  for (const KernelArg& a : SplitKernelCmdline(cmdline)) out.emplace_back(a.name, a.value);
  return out;
}

std::vector<std::string> Texts(const std::vector<KernelArg>& args) {
  std::vector<std::string> out;
  for (const KernelArg& a : args) out.push_back(a.text);
  return out;
}

KernelArg One(absl::string_view text) {
  const std::vector<KernelArg> args = SplitKernelCmdline(text);
  INFO(std::string(text));
  REQUIRE(args.size() == 1);
  return args[0];
}

NameValue Flag(const std::string& name) { return {name, std::nullopt}; }
NameValue Param(const std::string& name, const std::string& value) { return {name, value}; }

TEST_CASE("grub's plain command line: one argument per word, the value after the first '='",
          "[bootstate][cmdline]") {
  // grub argv {"/boot/vmlinuz-6.1.0-18-amd64", "root=UUID=3f7c", "ro", "quiet"}, joined by
  // single spaces.
  CHECK(Split("/boot/vmlinuz-6.1.0-18-amd64 root=UUID=3f7c ro quiet") ==
        std::vector<NameValue>{Flag("/boot/vmlinuz-6.1.0-18-amd64"), Param("root", "UUID=3f7c"),
                               Flag("ro"), Flag("quiet")});
  CHECK(Texts(SplitKernelCmdline("BOOT_IMAGE=/vmlinuz root=UUID=3f7c ro")) ==
        std::vector<std::string>{"BOOT_IMAGE=/vmlinuz", "root=UUID=3f7c", "ro"});
}

TEST_CASE("grub quotes an argument holding a space; the kernel reads it as one argument",
          "[bootstate][cmdline]") {
  // grub argv {"/vmlinuz", "dyndbg=file a.c +p", "quiet"}: grub writes "dyndbg=file a.c +p".
  const std::vector<KernelArg> args = SplitKernelCmdline("/vmlinuz \"dyndbg=file a.c +p\" quiet");
  REQUIRE(args.size() == 3);
  CHECK(args[1].name == "dyndbg");
  CHECK(args[1].value == "file a.c +p");
  CHECK(args[1].text == "dyndbg=\"file a.c +p\"");
  CHECK(args[2].name == "quiet");
}

TEST_CASE("\"name=a b\" and name=\"a b\" are the same argument: name, value a b",
          "[bootstate][cmdline]") {
  // kernel-parameters.rst: 'param="spaces in here"'.
  const KernelArg documented = One("param=\"spaces in here\"");
  CHECK(documented.name == "param");
  CHECK(documented.value == "spaces in here");

  const KernelArg grub = One("\"name=a b\"");
  const KernelArg kernel_doc = One("name=\"a b\"");
  CHECK(grub.name == "name");
  CHECK(grub.value == "a b");
  CHECK(kernel_doc.name == "name");
  CHECK(kernel_doc.value == "a b");
  CHECK(SameArg(grub, kernel_doc));
  CHECK(grub.text == "name=\"a b\"");
  CHECK(kernel_doc.text == "name=\"a b\"");
  // Quotes around a value without a space are dropped too.
  CHECK(One("name=\"ab\"").value == "ab");
  CHECK(One("name=\"ab\"").text == "name=ab");
  CHECK(One("\"quiet\"").name == "quiet");
  CHECK(One("\"quiet\"").text == "quiet");
}

TEST_CASE("grub's backslash escapes are not undone: the kernel cannot escape a quote",
          "[bootstate][cmdline]") {
  // grub argv "path=C:\dir" -> path=C:\\dir: the kernel keeps both backslashes.
  CHECK(One("path=C:\\\\dir").value == "C:\\\\dir");
  // grub argv "msg='x'" -> msg=\'x\'.
  CHECK(One("msg=\\'x\\'").value == "\\'x\\'");
  // grub argv say="hi" (quotes in the argument) -> say=\"hi\": each " still toggles quoting
  // and stays in the value, which does not start with one.
  CHECK(Split("say=\\\"hi\\\" ro") ==
        std::vector<NameValue>{Param("say", "\\\"hi\\\""), Flag("ro")});
  // grub argv say="hi there" -> "say=\"hi there\"": the escaped quote closes the kernel's
  // quoting, so the space after hi ends the argument.
  CHECK(Split("\"say=\\\"hi there\\\"\"") ==
        std::vector<NameValue>{Param("say", "\\\"hi"), Flag("there\\\"\"")});
}

TEST_CASE("names are the same with '-' for '_'; values and case are compared byte for byte",
          "[bootstate][cmdline]") {
  CHECK(SameArg(One("foo-bar=1"), One("foo_bar=1")));
  CHECK(SameArg(One("systemd.debug-shell"), One("systemd.debug_shell")));
  CHECK_FALSE(SameArg(One("foo=a-b"), One("foo=a_b")));
  CHECK_FALSE(SameArg(One("Quiet"), One("quiet")));
  CHECK_FALSE(SameArg(One("foo-bar"), One("foo-bar-")));
  // No value is not an empty value.
  CHECK_FALSE(SameArg(One("foo"), One("foo=")));
  CHECK(One("foo=").value == "");
  CHECK(One("foo=").text == "foo=");
}

TEST_CASE("whitespace is the kernel's: tab, newline, vertical tab, form feed, CR, space, 0xA0",
          "[bootstate][cmdline]") {
  CHECK(Split("  ro\tquiet\nsplash\r\vnosmt\fnoapic  ") ==
        std::vector<NameValue>{Flag("ro"), Flag("quiet"), Flag("splash"), Flag("nosmt"),
                               Flag("noapic")});
  // 0xA0 (octal 240, Latin-1 no-break space) is whitespace to the kernel, even as the second
  // byte of UTF-8's U+00A0 (C2 A0, octal 302 240): that splits after the C2 byte.
  CHECK(Split("a\240b") == std::vector<NameValue>{Flag("a"), Flag("b")});
  CHECK(Split("a\302\240b") == std::vector<NameValue>{Flag("a\302"), Flag("b")});
  // 0x85 (NEL, octal 205) and 0x1C-0x1F (0x1F: octal 037) are not.
  CHECK(Split("a\205b c\037d") == std::vector<NameValue>{Flag("a\205b"), Flag("c\037d")});
  // Quoted whitespace of any kind stays in the value, and makes the text quoted.
  const KernelArg tab = One("x=\"a\tb\"");
  CHECK(tab.value == "a\tb");
  CHECK(tab.text == "x=\"a\tb\"");
}

TEST_CASE("empty and blank command lines have no arguments", "[bootstate][cmdline]") {
  CHECK(SplitKernelCmdline("").empty());
  CHECK(SplitKernelCmdline(" \t\n ").empty());
}

TEST_CASE("an unbalanced quote runs to the end of the command line", "[bootstate][cmdline]") {
  // A leading quote never closed: one argument, with the spaces, no quote stripped.
  CHECK(Split("\"root=/dev/sda quiet") == std::vector<NameValue>{Param("root", "/dev/sda quiet")});
  // A value's opening quote never closed: the value loses it and keeps the rest.
  CHECK(Split("ro a=\"b c") == std::vector<NameValue>{Flag("ro"), Param("a", "b c")});
  // A quote inside a value opens quoting until the end; it is part of the value.
  CHECK(Split("a=b\" c d") == std::vector<NameValue>{Param("a", "b\" c d")});
  // A quote inside a name: the quoted space does not split, no quote is removed.
  CHECK(Split("a\"b c\"d e") == std::vector<NameValue>{Flag("a\"b c\"d"), Flag("e")});
  // A lone quote, and an empty quoted argument, are an argument with an empty name.
  CHECK(Split("\"") == std::vector<NameValue>{Flag("")});
  CHECK(Split("\"\" ro") == std::vector<NameValue>{Flag(""), Flag("ro")});
  CHECK(One("\"\"").text == "\"\"");
  // `name="` is an empty value.
  CHECK(Split("a=\"") == std::vector<NameValue>{Param("a", "")});
}

TEST_CASE("an '=' first is part of the name: the next '=' splits", "[bootstate][cmdline]") {
  CHECK(Split("=value") == std::vector<NameValue>{Flag("=value")});
  CHECK(Split("=a=b") == std::vector<NameValue>{Param("=a", "b")});
  CHECK(Split("a==b") == std::vector<NameValue>{Param("a", "=b")});
  CHECK(Split("\"=a b\"") == std::vector<NameValue>{Flag("=a b")});
}

TEST_CASE("\"--\" is an argument; init's arguments after it are split the same way",
          "[bootstate][cmdline]") {
  CHECK(Split("ro -- single \"x=a b\"") ==
        std::vector<NameValue>{Flag("ro"), Flag("--"), Flag("single"), Param("x", "a b")});
}

TEST_CASE("the kernel reads up to a NUL", "[bootstate][cmdline]") {
  CHECK(Split(absl::string_view("ro\0 init=/bin/sh", 16)) == std::vector<NameValue>{Flag("ro")});
}

TEST_CASE("an argument's text reads back as the same argument", "[bootstate][cmdline]") {
  for (const char* cmdline : {"\"a b=c\"", "\"a b\"", "x=\"a b\"", "\"x=a\tb\"", "root=UUID=1",
                              "=a=b", "a=", "\"\"", "a=\"\""}) {
    const KernelArg arg = One(cmdline);
    INFO(cmdline << " -> " << arg.text);
    CHECK(SameArg(One(arg.text), arg));
    CHECK(One(arg.text).text == arg.text);
  }
  CHECK(One("\"a b=c\"").text == "\"a b=c\"");
  CHECK(One("\"a b\"").text == "\"a b\"");
}

TEST_CASE("argument lists differ by the arguments added and removed, as multisets",
          "[bootstate][cmdline]") {
  const auto diff = [](absl::string_view before, absl::string_view after) {
    return DiffKernelArgs(SplitKernelCmdline(before), SplitKernelCmdline(after));
  };
  KernelArgsDiff d = diff("ro quiet splash", "ro quiet init=/bin/sh");
  CHECK(Texts(d.added) == std::vector<std::string>{"init=/bin/sh"});
  CHECK(Texts(d.removed) == std::vector<std::string>{"splash"});
  CHECK_FALSE(d.reordered);

  d = diff("console=tty0 console=tty0 ro", "ro console=tty0");
  CHECK(d.added.empty());
  CHECK(Texts(d.removed) == std::vector<std::string>{"console=tty0"});

  d = diff("ro quiet", "quiet ro");
  CHECK(d.added.empty());
  CHECK(d.removed.empty());
  CHECK(d.reordered);
  CHECK_FALSE(d.empty());

  // The same arguments written differently are no difference.
  CHECK(diff("foo-bar=1 \"x=a b\"", "foo_bar=1 x=\"a b\"").empty());
  CHECK(diff("", "").empty());
  // Only the value differs: one removed, one added.
  d = diff("x=\"a b\"", "x=\"a  b\"");
  CHECK(Texts(d.removed) == std::vector<std::string>{"x=\"a b\""});
  CHECK(Texts(d.added) == std::vector<std::string>{"x=\"a  b\""});
  // No value and an empty value are different arguments.
  d = diff("foo", "foo=");
  CHECK(Texts(d.added) == std::vector<std::string>{"foo="});
  CHECK(Texts(d.removed) == std::vector<std::string>{"foo"});
}

TEST_CASE("a long command line of quotes and spaces splits in one pass", "[bootstate][cmdline]") {
  const std::string spaces(1 << 20, ' ');
  CHECK(SplitKernelCmdline(spaces).empty());
  std::string many;
  for (int i = 0; i < 100000; ++i) many += "\"\" ";
  CHECK(SplitKernelCmdline(many).size() == 100000);
  const std::string unbalanced = "\"" + std::string(1 << 20, 'x') + " y";
  REQUIRE(SplitKernelCmdline(unbalanced).size() == 1);
}

}  // namespace
}  // namespace bootgate::bootstate
