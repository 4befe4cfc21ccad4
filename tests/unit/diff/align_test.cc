// Alignment by content (verifier/diff/align.h): expectations are worked out by hand from the
// definition (a longest common subsequence kept, gaps paired by kind).
#include "verifier/diff/align.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace bootgate::diff {
namespace {

// "=a" same, "+b" added, "-a" removed, "~a>b" changed.
std::vector<std::string> Render(const std::vector<std::string>& a,
                                const std::vector<std::string>& b,
                                const std::vector<AlignStep>& steps) {
  std::vector<std::string> out;
  for (const AlignStep& s : steps) {
    switch (s.kind) {
      case StepKind::kSame:
        out.push_back(absl::StrCat("=", a[*s.a]));
        break;
      case StepKind::kAdded:
        out.push_back(absl::StrCat("+", b[*s.b]));
        break;
      case StepKind::kRemoved:
        out.push_back(absl::StrCat("-", a[*s.a]));
        break;
      case StepKind::kChanged:
        out.push_back(absl::StrCat("~", a[*s.a], ">", b[*s.b]));
        break;
    }
  }
  return out;
}

// Same first word: "set x=1" and "set x=2" are one command changed.
bool SameVerb(const std::vector<std::string>& a, const std::vector<std::string>& b, size_t i,
              size_t j) {
  return a[i].substr(0, a[i].find(' ')) == b[j].substr(0, b[j].find(' '));
}

TEST_CASE("one inserted element is one addition, every later element the same") {
  const std::vector<std::string> a = {"source x", "set timeout=0", "linux /v", "initrd /i", "boot"};
  const std::vector<std::string> b = {"source x", "set timeout=0", "echo hi",
                                      "linux /v", "initrd /i",     "boot"};
  auto steps = Align(a, b, [&](size_t i, size_t j) { return SameVerb(a, b, i, j); });
  CHECK(Render(a, b, steps) == std::vector<std::string>{"=source x", "=set timeout=0", "+echo hi",
                                                        "=linux /v", "=initrd /i", "=boot"});
  REQUIRE(Differences(steps).size() == 1);
  CHECK(*Differences(steps)[0].b == 2);
}

TEST_CASE("a removed element and a changed one") {
  const std::vector<std::string> a = {"a", "set x=1", "b", "c"};
  const std::vector<std::string> b = {"set x=2", "b"};
  auto steps = Align(a, b, [&](size_t i, size_t j) { return SameVerb(a, b, i, j); });
  CHECK(Render(a, b, steps) == std::vector<std::string>{"-a", "~set x=1>set x=2", "=b", "-c"});
}

TEST_CASE("without pairing, a replacement is a removal and an addition") {
  const std::vector<std::string> a = {"x", "y", "z"};
  const std::vector<std::string> b = {"x", "q", "z"};
  CHECK(Render(a, b, Align(a, b)) == std::vector<std::string>{"=x", "-y", "+q", "=z"});
}

TEST_CASE("moved element: the longest common subsequence is kept") {
  const std::vector<std::string> a = {"1", "2", "3", "4"};
  const std::vector<std::string> b = {"2", "3", "4", "1"};
  CHECK(Render(a, b, Align(a, b)) == std::vector<std::string>{"-1", "=2", "=3", "=4", "+1"});
}

TEST_CASE("empty sides") {
  const std::vector<std::string> none;
  const std::vector<std::string> two = {"p", "q"};
  CHECK(Render(none, two, Align(none, two)) == std::vector<std::string>{"+p", "+q"});
  CHECK(Render(two, none, Align(two, none)) == std::vector<std::string>{"-p", "-q"});
  CHECK(Align(none, none).empty());
  CHECK(Differences(Align(two, two)).empty());
}

TEST_CASE("sequences beyond the cell bound are still aligned element by element, in order") {
  std::vector<std::string> a, b;
  for (int i = 0; i < 3000; ++i) {
    a.push_back(absl::StrCat("a", i));
    b.push_back(absl::StrCat("b", i));
  }
  a.push_back("end");
  b.push_back("end");
  auto steps = Align(a, b);
  REQUIRE(steps.size() == 6001);
  CHECK(steps.back().kind == StepKind::kSame);
  size_t removed = 0, added = 0;
  for (const AlignStep& s : steps) {
    if (s.kind == StepKind::kRemoved) CHECK(*s.a == removed++);
    if (s.kind == StepKind::kAdded) CHECK(*s.b == added++);
  }
  CHECK(removed == 3000);
  CHECK(added == 3000);
}

}  // namespace
}  // namespace bootgate::diff
