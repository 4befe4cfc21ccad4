#include "verifier/policy/pcr_spec.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace bootgate::policy {
namespace {

constexpr uint32_t kMaxPcr = 23;

absl::StatusOr<uint32_t> ParsePcr(absl::string_view text, absl::string_view spec) {
  uint32_t pcr = 0;
  // SimpleAtoi accepts signs and spaces; a PCR is digits only.
  if (text.empty() || text.size() > 2 || text.find_first_not_of("0123456789") != text.npos ||
      !absl::SimpleAtoi(text, &pcr) || pcr > kMaxPcr) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", spec, "\": \"", text, "\" is not a PCR (0-", kMaxPcr, ")"));
  }
  return pcr;
}

}  // namespace

absl::StatusOr<PcrSpec> ParsePcrSpec(absl::string_view text) {
  const size_t colon = text.find(':');
  if (colon == text.npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not bank:pcrs (e.g. \"sha256:0-7,14\")"));
  }
  const absl::string_view bank_name = text.substr(0, colon);
  const std::optional<crypto::HashAlg> bank = crypto::HashAlgFromName(bank_name);
  if (!bank.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": unknown bank \"", bank_name,
                                                   "\" (sha1, sha256, sha384, sha512, sm3_256)"));
  }
  PcrSpec spec{*bank, {}};
  const absl::string_view list = text.substr(colon + 1);
  if (list.empty()) return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": no PCRs"));
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    const std::vector<absl::string_view> ends = absl::StrSplit(item, absl::MaxSplits('-', 1));
    uint32_t first = 0, last = 0;
    auto parsed_first = ParsePcr(ends[0], text);
    if (!parsed_first.ok()) return parsed_first.status();
    first = last = *parsed_first;
    if (ends.size() == 2) {
      auto parsed_last = ParsePcr(ends[1], text);
      if (!parsed_last.ok()) return parsed_last.status();
      last = *parsed_last;
      if (last < first) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", text, "\": range \"", item, "\" is reversed"));
      }
    }
    for (uint32_t pcr = first; pcr <= last; ++pcr) spec.pcrs.insert(pcr);
  }
  return spec;
}

}  // namespace bootgate::policy
