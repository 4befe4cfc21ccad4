#include "verifier/policy/dates.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace bootgate::policy {
namespace {
constexpr char kDateFormat[] = "%Y-%m-%d";
}  // namespace

absl::StatusOr<absl::Time> ParsePolicyDate(absl::string_view text) {
  absl::Time t;
  std::string err;
  // absl::ParseTime reads a date without a zone as UTC: a policy means the same everywhere.
  if (text.size() == 10 && absl::ParseTime(kDateFormat, text, &t, &err)) return t;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &err)) return t;
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", text, "\" is not a date (YYYY-MM-DD or RFC 3339 like 2026-03-31T12:00:00Z)"));
}

std::string FormatPolicyDate(absl::Time t) {
  const absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
  if (absl::CivilDay(cs) == cs && absl::FromCivil(cs, absl::UTCTimeZone()) == t) {
    return absl::FormatTime(kDateFormat, t, absl::UTCTimeZone());
  }
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

}  // namespace bootgate::policy
