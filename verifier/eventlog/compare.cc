#include "verifier/eventlog/compare.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "verifier/bytes/hex.h"

namespace bootgate::eventlog {
namespace {

// Enough of a digest to tell two apart at a glance; the full values are in the struct.
std::string ShortHex(const crypto::Digest& digest) {
  constexpr size_t kShownBytes = 4;
  if (digest.size() <= kShownBytes) return bytes::ToHex(digest);
  return absl::StrCat(bytes::ToHex(std::span(digest).first(kShownBytes)), "\u2026");
}

std::string FedByText(const std::vector<uint32_t>& events) {
  if (events.empty()) return "no event extended it";
  if (events.size() == 1) return absl::StrCat("fed by event ", events[0]);
  return absl::StrCat("fed by events ", absl::StrJoin(events, ", "));
}

}  // namespace

Comparison CompareWithQuoted(const ReplayResult& replay, const crypto::PcrValues& quoted) {
  Comparison out;
  for (const auto& [bank, quoted_pcrs] : quoted) {
    auto replayed_bank = replay.pcrs.find(bank);
    if (replayed_bank == replay.pcrs.end()) {
      const absl::string_view name = crypto::HashAlgName(bank);
      out.missing_banks.push_back(
          MissingBank{bank, absl::StrCat(name, " bank is active in the TPM but the log has no ",
                                         name, " digests: anyone can extend it")});
      continue;
    }
    for (const auto& [pcr, quoted_value] : quoted_pcrs) {
      auto replayed = replayed_bank->second.find(pcr);
      if (replayed == replayed_bank->second.end()) continue;
      if (crypto::ConstantTimeEquals(replayed->second, quoted_value)) continue;
      PcrMismatch& m = out.mismatches.emplace_back();
      m.bank = bank;
      m.pcr = pcr;
      m.replayed = replayed->second;
      m.quoted = quoted_value;
      if (pcr < replay.fed_by.size()) m.events = replay.fed_by[pcr];
      m.message = absl::StrCat(crypto::HashAlgName(bank), " PCR ", pcr, ": replay gives ",
                               ShortHex(m.replayed), ", quote says ", ShortHex(m.quoted), "; ",
                               FedByText(m.events));
    }
  }
  return out;
}

}  // namespace bootgate::eventlog
