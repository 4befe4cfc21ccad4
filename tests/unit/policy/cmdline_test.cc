// kernel.cmdline rules read the command line and their own arguments as the kernel does
// (bootstate/kernel_cmdline.h): grub writes an argument holding a space as "name=a b", the
// kernel documentation as name="a b"; both are the argument `name` with the value `a b`.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/unit/policy/testdata.h"
#include "verifier/policy/evaluate.h"
#include "verifier/policy/validate.h"

namespace bootgate::policy {
namespace {

using appraisal::Finding;
using testing::Codes;
using testing::Context;
using testing::GoodPolicy;
using testing::GoodState;
using testing::kCmdline;

// GoodPolicy() whose cmdline rule is only `required_args: required` / `forbidden_args:
// forbidden` (no exact), and GoodState() with `extra` after its command line.
v1::Policy ArgRules(const std::vector<std::string>& required,
                    const std::vector<std::string>& forbidden) {
  v1::Policy p = GoodPolicy();
  v1::CommandLineRule* rule = p.mutable_groups(0)->mutable_kernel()->mutable_cmdline();
  rule->Clear();
  for (const std::string& r : required) rule->add_required_args(r);
  for (const std::string& f : forbidden) rule->add_forbidden_args(f);
  return p;
}

bootstate::BootState WithArgs(const std::string& extra) {
  bootstate::BootState s = GoodState();
  s.kernel.command_line = absl::StrCat(kCmdline, " ", extra);
  return s;
}

TEST_CASE("a required argument with a quoted space matches however either side quotes it",
          "[policy][cmdline]") {
  // grub's kernel_cmdline for `linux ... "dyndbg=file a.c +p"`, and the kernel
  // documentation's spelling of the same argument.
  for (const char* line : {"\"name=a b\"", "name=\"a b\""}) {
    for (const char* rule : {"name=\"a b\"", "\"name=a b\""}) {
      INFO(line << " against rule " << rule);
      CHECK(Evaluate(WithArgs(line), Context(), ArgRules({rule}, {})).empty());
    }
  }
  // Unquoted, it is two arguments: name=a and b; the rule is not met.
  const std::vector<Finding> f =
      Evaluate(WithArgs("name=a b"), Context(), ArgRules({"name=\"a b\""}, {}));
  REQUIRE(Codes(f) == "cmdline-missing-arg");
  CHECK_THAT(f[0].message, Catch::Contains("lacks 'name=\"a b\"', which baseline debian-12"));
  CHECK(f[0].allowed == "baseline debian-12.kernel.cmdline.required_args: name=\"a b\"");
  // The value is compared byte for byte: two spaces are another value.
  CHECK(Codes(Evaluate(WithArgs("\"name=a  b\""), Context(), ArgRules({"name=\"a b\""}, {}))) ==
        "cmdline-missing-arg");
}

TEST_CASE("a forbidden key forbids it with any value, quoted or not; key=value only itself",
          "[policy][cmdline]") {
  std::vector<Finding> f =
      Evaluate(WithArgs("\"dyndbg=file a.c +p\""), Context(), ArgRules({}, {"dyndbg"}));
  REQUIRE(Codes(f) == "cmdline-forbidden-arg");
  CHECK(f[0].seen == "dyndbg=\"file a.c +p\"");
  CHECK_THAT(f[0].message,
             Catch::Contains("has 'dyndbg=\"file a.c +p\"', which baseline debian-12") &&
                 Catch::Contains("(rule \"dyndbg\")"));

  const v1::Policy exact_value = ArgRules({}, {"x=\"a b\""});
  f = Evaluate(WithArgs("\"x=a b\""), Context(), exact_value);
  REQUIRE(Codes(f) == "cmdline-forbidden-arg");
  CHECK(f[0].seen == "x=\"a b\"");
  CHECK_THAT(f[0].message, Catch::Contains("(rule 'x=\"a b\"')"));
  CHECK(Evaluate(WithArgs("x=a b"), Context(), exact_value).empty());
  CHECK(Evaluate(WithArgs("x=\"a c\""), Context(), exact_value).empty());

  // Names as the kernel compares them: '-' and '_' alike.
  f = Evaluate(WithArgs("systemd.debug-shell"), Context(), ArgRules({}, {"systemd.debug_shell"}));
  CHECK(Codes(f) == "cmdline-forbidden-arg");
  // A name that only starts like the rule's is another argument.
  CHECK(Evaluate(WithArgs("initrd=/x"), Context(), ArgRules({}, {"init"})).empty());
}

TEST_CASE("exact compares arguments as the kernel reads them and names them by their text",
          "[policy][cmdline]") {
  v1::Policy p = GoodPolicy();
  p.mutable_groups(0)->mutable_kernel()->mutable_cmdline()->set_exact(
      absl::StrCat(kCmdline, " \"name=a b\""));
  // The same arguments, quoted the other way.
  CHECK(Evaluate(WithArgs("name=\"a b\""), Context(), p).empty());

  std::vector<Finding> f = Evaluate(WithArgs("\"name=a c\""), Context(), p);
  REQUIRE(Codes(f) == "cmdline-mismatch");
  CHECK_THAT(f[0].message, Catch::EndsWith("added 'name=\"a c\"'; removed 'name=\"a b\"'"));
  CHECK(f[0].seen == absl::StrCat(kCmdline, " \"name=a c\""));

  // Unquoted: the kernel sees two arguments, neither of which the baseline has.
  f = Evaluate(WithArgs("name=a b"), Context(), p);
  REQUIRE(Codes(f) == "cmdline-mismatch");
  CHECK_THAT(f[0].message, Catch::EndsWith("added \"name=a\", \"b\"; removed 'name=\"a b\"'"));

  // Whitespace between arguments is not an argument.
  CHECK(Evaluate(WithArgs("\t name=\"a b\"  "), Context(), p).empty());
}

TEST_CASE("an argument rule must be one argument to the kernel", "[policy][cmdline]") {
  const auto errors = [](const std::vector<std::string>& required,
                         const std::vector<std::string>& forbidden) {
    std::vector<std::string> out;
    for (const ValidationError& e : ValidatePolicy(ArgRules(required, forbidden))) {
      out.push_back(absl::StrCat(FormatPath(e.path), ": ", e.message));
    }
    return out;
  };
  CHECK(errors({"name=\"a b\"", "\"name=a b\"", "ro"}, {"x=\"a b\"", "init"}).empty());

  std::vector<std::string> e = errors({"name=a b"}, {});
  REQUIRE(e.size() == 1);
  CHECK_THAT(e[0], Catch::StartsWith("groups[0].kernel.cmdline.required_args[0]: \"name=a b\" "
                                     "is 2 kernel arguments (name=a | b)"));
  CHECK_THAT(e[0], Catch::Contains("quote the value: name=\"a b\" (in the policy file: "
                                   "\"name=\\\"a b\\\"\")"));

  e = errors({}, {"a b", " ", ""});
  REQUIRE(e.size() == 3);
  CHECK_THAT(e[0], Catch::StartsWith("groups[0].kernel.cmdline.forbidden_args[0]: \"a b\" is 2 "
                                     "kernel arguments (a | b)"));
  CHECK_THAT(e[0], Catch::Contains("write one entry per argument"));
  CHECK_THAT(e[1], Catch::Contains("forbidden_args[1]: \" \" holds no argument"));
  CHECK(e[2] == "groups[0].kernel.cmdline.forbidden_args[2]: empty");

  e = errors({"\"\""}, {});
  REQUIRE(e.size() == 1);
  CHECK_THAT(e[0], Catch::Contains("an argument without a name"));
}

}  // namespace
}  // namespace bootgate::policy
