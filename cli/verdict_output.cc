#include "cli/verdict_output.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace bootgate::cli {
namespace {

std::string Rfc3339(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string OrDash(const std::optional<uint32_t>& v) {
  return v.has_value() ? absl::StrCat(*v) : "-";
}

}  // namespace

nlohmann::json VerdictJson(const appraisal::Appraisal& a, const std::string& host_id) {
  nlohmann::json findings = nlohmann::json::array();
  for (const appraisal::Finding& f : a.findings) {
    findings.push_back({
        {"code", f.code},
        {"layer", std::string(appraisal::LayerName(f.layer))},
        {"severity", std::string(appraisal::SeverityName(f.severity))},
        {"pcr", f.pcr.has_value() ? nlohmann::json(*f.pcr) : nlohmann::json(nullptr)},
        {"event_index",
         f.event_index.has_value() ? nlohmann::json(*f.event_index) : nlohmann::json(nullptr)},
        {"seen", f.seen},
        {"allowed", f.allowed},
        {"message", f.message},
        {"hint", f.hint},
        {"waived_by",
         f.waived_by.has_value() ? nlohmann::json(*f.waived_by) : nlohmann::json(nullptr)},
    });
  }
  return {
      {"host_id", host_id},
      {"tier", std::string(appraisal::TierName(a.tier))},
      {"placement_eligible", a.placement_eligible},
      {"policy", {{"name", a.policy_name}, {"version", a.policy_version}}},
      {"group", a.group},
      {"issued", Rfc3339(a.issued)},
      {"expires", Rfc3339(a.expires)},
      {"exceptions_used", a.exceptions_used},
      {"findings", findings},
  };
}

std::string VerdictTable(const appraisal::Appraisal& a, const std::string& host_id) {
  std::string out =
      absl::StrFormat("host %s: %s, %s\npolicy %s version %s, group %s\nissued %s, expires %s\n",
                      host_id.empty() ? "(no host id)" : host_id, appraisal::TierName(a.tier),
                      a.placement_eligible ? "placement eligible" : "NOT placement eligible",
                      a.policy_name, a.policy_version, a.group.empty() ? "(none)" : a.group,
                      Rfc3339(a.issued), Rfc3339(a.expires));
  if (!a.exceptions_used.empty()) {
    absl::StrAppend(&out, "exceptions used: ", absl::StrJoin(a.exceptions_used, ", "), "\n");
  }
  if (a.findings.empty()) {
    absl::StrAppend(&out, "no findings\n");
    return out;
  }
  absl::StrAppend(&out, "\n",
                  absl::StrFormat("%-12s %-4s %-6s %-16s %-28s %s\n", "LAYER", "PCR", "EVENT",
                                  "SEVERITY", "CODE", "MESSAGE"));
  for (const appraisal::Finding& f : a.findings) {
    const std::string severity = f.waived_by.has_value()
                                     ? absl::StrCat("waived:", *f.waived_by)
                                     : std::string(appraisal::SeverityName(f.severity));
    absl::StrAppend(
        &out, absl::StrFormat("%-12s %-4s %-6s %-16s %-28s %s\n", appraisal::LayerName(f.layer),
                              OrDash(f.pcr), OrDash(f.event_index), severity, f.code, f.message));
  }
  bool header = false;
  for (const appraisal::Finding& f : a.findings) {
    if (f.hint.empty()) continue;
    if (!header) absl::StrAppend(&out, "\nhints:\n");
    header = true;
    absl::StrAppend(
        &out, "  ", f.code,
        OrDash(f.event_index) == "-" ? "" : absl::StrCat(" (event ", *f.event_index, ")"), ": ",
        f.hint, "\n");
  }
  return out;
}

}  // namespace bootgate::cli
