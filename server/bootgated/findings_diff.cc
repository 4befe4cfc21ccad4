#include "server/bootgated/findings_diff.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"

namespace bootgate::service {
namespace {

void AppendField(std::string& out, const std::string& field) {
  absl::StrAppend(&out, field.size(), ":", field, ";");
}

// The findings of `from` whose identity `to` does not hold as often.
std::vector<v1::Finding> MissingFrom(const Findings& from, const Findings& to) {
  std::map<std::string, size_t> available;
  for (const v1::Finding& f : to) ++available[FindingIdentity(f)];
  std::vector<v1::Finding> out;
  for (const v1::Finding& f : from) {
    auto it = available.find(FindingIdentity(f));
    if (it != available.end() && it->second > 0) {
      --it->second;
    } else {
      out.push_back(f);
    }
  }
  return out;
}

}  // namespace

std::string FindingIdentity(const v1::Finding& f) {
  std::string out;
  AppendField(out, f.code());
  AppendField(out, f.layer());
  AppendField(out, f.has_pcr() ? absl::StrCat(f.pcr()) : "-");
  AppendField(out, f.seen());
  return out;
}

FindingsDiff DiffFindings(const Findings& before, const Findings& after) {
  return {.added = MissingFrom(after, before), .removed = MissingFrom(before, after)};
}

bool SameFindings(const Findings& before, const Findings& after) {
  if (before.size() != after.size()) return false;
  auto keys = [](const Findings& findings) {
    std::vector<std::string> out;
    for (const v1::Finding& f : findings) {
      std::string key = FindingIdentity(f);
      AppendField(key, f.has_waived_by() ? absl::StrCat("waived:", f.waived_by()) : "-");
      out.push_back(std::move(key));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  return keys(before) == keys(after);
}

}  // namespace bootgate::service
