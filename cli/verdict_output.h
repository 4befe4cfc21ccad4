// Rendering of a verdict (appraisal::Appraisal) for people (a table) and scripts (JSON).
#ifndef BOOTGATE_CLI_VERDICT_OUTPUT_H_
#define BOOTGATE_CLI_VERDICT_OUTPUT_H_

#include <nlohmann/json.hpp>
#include <string>

#include "verifier/appraisal/appraisal.h"

namespace bootgate::cli {

// The verdict as JSON:
//   {"host_id", "tier", "placement_eligible", "policy": {"name", "version"}, "group",
//    "issued", "expires" (RFC 3339 UTC), "exceptions_used": [...],
//    "findings": [{"code", "layer", "severity", "pcr" (number or null),
//                  "event_index" (number or null), "seen", "allowed", "message", "hint",
//                  "waived_by" (string or null)}]}
nlohmann::json VerdictJson(const appraisal::Appraisal& appraisal, const std::string& host_id);

// The verdict for a terminal: a summary block, then one table row per finding (layer, PCR,
// event, code, message; a waived finding says "waived by <exception>"), then the hints.
std::string VerdictTable(const appraisal::Appraisal& appraisal, const std::string& host_id);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_VERDICT_OUTPUT_H_
