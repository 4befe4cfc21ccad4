#include "verifier/policy/exceptions.h"

#include <algorithm>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "verifier/policy/dates.h"
#include "verifier/policy/never_waivable.h"

namespace bootgate::policy {
namespace {

using appraisal::Finding;

bool Matches(const v1::Exception& e, const Finding& f, const std::string& host_id,
             const std::string& group_name) {
  switch (e.target_case()) {
    case v1::Exception::kHost:
      if (e.host() != host_id) return false;
      break;
    case v1::Exception::kGroup:
      if (group_name.empty() || e.group() != group_name) return false;
      break;
    case v1::Exception::TARGET_NOT_SET:
      return false;
  }
  if (e.finding_code() != f.code) return false;
  if (e.has_event_index() && f.event_index != e.event_index()) return false;
  if (e.has_pcr() && f.pcr != e.pcr()) return false;
  if (e.has_seen() && !absl::StrContains(f.seen, e.seen())) return false;
  return true;
}

}  // namespace

std::vector<std::string> ApplyExceptions(std::vector<appraisal::Finding>& findings,
                                         const v1::Policy& policy, const std::string& host_id,
                                         const std::string& group_name, absl::Time now) {
  std::vector<std::string> used;
  for (Finding& f : findings) {
    if (f.waived_by.has_value() || IsNeverWaivable(f)) continue;
    std::string notes;
    for (const v1::Exception& e : policy.exceptions()) {
      if (!Matches(e, f, host_id, group_name)) continue;
      // Validation refused unparseable dates; should one get here anyway, it never counts.
      const absl::StatusOr<absl::Time> expires = ParsePolicyDate(e.expires());
      absl::Time created = absl::InfinitePast();
      if (!e.created().empty()) {
        const absl::StatusOr<absl::Time> c = ParsePolicyDate(e.created());
        created = c.ok() ? *c : absl::InfiniteFuture();
      }
      if (!expires.ok() || now >= *expires) {
        absl::StrAppend(&notes, " (exception ", e.name(), " expired",
                        expires.ok() ? absl::StrCat(" on ", FormatPolicyDate(*expires)) : "", ")");
        continue;
      }
      if (now < created) {
        absl::StrAppend(&notes, " (exception ", e.name(), " starts on ", FormatPolicyDate(created),
                        ")");
        continue;
      }
      f.waived_by = e.name();
      notes.clear();
      break;
    }
    f.message += notes;
  }
  // Policy order, once each.
  for (const v1::Exception& e : policy.exceptions()) {
    const bool any = std::any_of(findings.begin(), findings.end(),
                                 [&](const Finding& f) { return f.waived_by == e.name(); });
    if (any) used.push_back(e.name());
  }
  return used;
}

}  // namespace bootgate::policy
