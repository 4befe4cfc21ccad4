#include "verifier/eventlog/event_data_check.h"

#include <array>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "verifier/crypto/hash.h"
#include "verifier/eventlog/event_types.h"
#include "verifier/eventlog/uefi_variable.h"

namespace bootgate::eventlog {
namespace {

// grub 2.06 grub-core/commands/tpm.c (grub_tpm_verify_string): logs prefix + str + NUL and
// hashes str alone (strlen bytes) into PCR 8.
constexpr uint32_t kGrubStringPcr = 8;
constexpr std::array<absl::string_view, 3> kGrubPrefixes = {
    "grub_cmd: ", "kernel_cmdline: ", "module_cmdline: "};

enum class Rule { kWhole, kWholeOrVariableData, kGrubString, kInformational, kNoAction };

// One way of hashing the data that genuine firmware or boot loaders use.
struct Candidate {
  bytes::ByteSpan bytes;
  absl::string_view convention = {};  // empty when the rule has a single way
  absl::string_view quirk = {};       // set when this way is a known measurement bug
};

struct Plan {
  Rule rule = Rule::kInformational;
  std::string description;
  // The byte ranges whose hash may equal the digest: one for most rules, one per genuine
  // convention for EV_EFI_VARIABLE_BOOT(2), and shim's quirk for authorities.
  std::vector<Candidate> candidates;
  bool malformed = false;  // the rule needs structure the data does not have
};

constexpr absl::string_view kVariableDataConvention = "hash of VariableData (EDK2/OVMF convention)";
constexpr absl::string_view kWholeVariableConvention =
    "hash of the whole UEFI_VARIABLE_DATA (PFP convention, many PCs)";
constexpr absl::string_view kShimTrailingByteConvention =
    "hash of the data without its last byte (shim logged one byte more than it measured)";

Plan MakePlan(const Event& event) {
  Plan plan;
  const bytes::ByteSpan data(event.data);
  switch (event.type) {
    case kEvNoAction:
      plan.rule = Rule::kNoAction;
      plan.description = "EV_NO_ACTION is not extended";
      return plan;
    case kEvSeparator:
    case kEvAction:
    case kEvEfiAction:
    case kEvEfiGptEvent:
    case kEvSCrtmVersion:
    case kEvEfiVariableDriverConfig:
    case kEvEfiVariableAuthority:
      plan.rule = Rule::kWhole;
      plan.description = "hash of the whole event data";
      plan.candidates.push_back({data});
      // Older shim builds log authorities one byte longer than they measured. Exactly that
      // pattern is recognised (and reported as a quirk), nothing looser.
      if (event.type == kEvEfiVariableAuthority && !data.empty()) {
        plan.candidates.push_back({data.first(data.size() - 1), kShimTrailingByteConvention,
                                   kShimAuthorityTrailingByteQuirk});
      }
      return plan;
    case kEvEfiVariableBoot:
    case kEvEfiVariableBoot2: {
      // EDK2 (OVMF) hashes VariableData only; the PFP and many PCs' firmware the whole
      // UEFI_VARIABLE_DATA. Both are genuine; name and GUID are proven only by the second.
      plan.rule = Rule::kWholeOrVariableData;
      auto var = ParseUefiVariable(data, event.type);
      if (!var.ok()) {
        plan.malformed = true;
        plan.description = absl::StrCat("malformed UEFI_VARIABLE_DATA: ", var.status().message());
        return plan;
      }
      plan.description = "hash of VariableData or of the whole UEFI_VARIABLE_DATA";
      plan.candidates.push_back({data.subspan(var->data_offset), kVariableDataConvention});
      plan.candidates.push_back({data, kWholeVariableConvention});
      return plan;
    }
    case kEvIpl:
      if (event.pcr == kGrubStringPcr) {
        const absl::string_view text(reinterpret_cast<const char*>(event.data.data()),
                                     event.data.size());
        for (absl::string_view prefix : kGrubPrefixes) {
          if (!absl::StartsWith(text, prefix)) continue;
          plan.rule = Rule::kGrubString;
          plan.description =
              absl::StrCat("hash of the text after \"", prefix, "\" without the trailing NUL");
          bytes::ByteSpan measured = data.subspan(prefix.size());
          if (!measured.empty() && measured.back() == 0)
            measured = measured.first(measured.size() - 1);
          plan.candidates.push_back({measured});
          return plan;
        }
      }
      plan.description = event.pcr == kGrubStringPcr
                             ? "EV_IPL without a grub prefix: digest of other bytes"
                             : "EV_IPL outside PCR 8: digest of the loaded file or variable";
      return plan;
    case kEvEfiBootServicesApplication:
    case kEvEfiBootServicesDriver:
    case kEvEfiRuntimeServicesDriver:
      plan.description = "Authenticode hash of the image";
      return plan;
    case kEvEventTag:
      plan.description = "EV_EVENT_TAG: digest of the tagged object (e.g. the initrd)";
      return plan;
    case kEvEfiPlatformFirmwareBlob:
    case kEvEfiPlatformFirmwareBlob2:
    case kEvPostCode:
      plan.description = "hash of the firmware code";
      return plan;
    case kEvEfiHandoffTables:
    case kEvEfiHandoffTables2:
      plan.description = "hash of the handoff tables";
      return plan;
    default:
      plan.description = "digest of bytes not in the log";
      return plan;
  }
}

// Checks one bank's digest against the plan's candidates. Returns kVerified when a
// candidate matches, and the same one as earlier banks (`matched` records it); kMismatch
// otherwise; kUnchecked when this OpenSSL lacks the algorithm.
DataCheck MatchBank(const Plan& plan, crypto::HashAlg alg, bytes::ByteSpan logged,
                    std::optional<size_t>& matched) {
  for (size_t i = 0; i < plan.candidates.size(); ++i) {
    auto hash = crypto::Hash(alg, plan.candidates[i].bytes);
    if (!hash.ok()) return DataCheck::kUnchecked;
    if (!crypto::ConstantTimeEquals(*hash, logged)) continue;
    if (matched.has_value() && *matched != i) return DataCheck::kMismatch;
    matched = i;
    return DataCheck::kVerified;
  }
  return DataCheck::kMismatch;
}

}  // namespace

absl::string_view DataCheckName(DataCheck check) {
  switch (check) {
    case DataCheck::kVerified:
      return "verified";
    case DataCheck::kMismatch:
      return "MISMATCH";
    case DataCheck::kInformational:
      return "informational";
    case DataCheck::kNotApplicable:
      return "n/a";
    case DataCheck::kUnchecked:
      return "unchecked";
  }
  return "unchecked";
}

EventDataCheck VerifyEventData(const Event& event) {
  const Plan plan = MakePlan(event);
  EventDataCheck result;
  result.rule = plan.description;
  const bool rehash = plan.malformed || !plan.candidates.empty();
  bool any_verified = false;
  bool any_mismatch = false;
  // The candidate every verified bank matched: firmware hashes one buffer into every bank,
  // so banks that match different ways of hashing are not genuine.
  std::optional<size_t> matched;
  for (const EventDigest& digest : event.digests) {
    BankDataCheck bank{.alg_id = digest.alg_id};
    if (plan.rule == Rule::kNoAction) {
      bank.result = DataCheck::kNotApplicable;
    } else if (!rehash) {
      bank.result = DataCheck::kInformational;
    } else if (plan.malformed) {
      bank.result = DataCheck::kMismatch;
    } else if (digest.alg.has_value()) {
      bank.result = MatchBank(plan, *digest.alg, digest.digest, matched);
    }
    any_verified |= bank.result == DataCheck::kVerified;
    any_mismatch |= bank.result == DataCheck::kMismatch;
    result.banks.push_back(bank);
  }
  if (any_mismatch) {
    result.overall = DataCheck::kMismatch;
  } else if (any_verified) {
    result.overall = DataCheck::kVerified;
    const Candidate& how = plan.candidates[*matched];
    if (!how.convention.empty()) result.rule = std::string(how.convention);
    result.quirk = std::string(how.quirk);
  } else if (plan.rule == Rule::kNoAction) {
    result.overall = DataCheck::kNotApplicable;
  } else if (!rehash) {
    result.overall = DataCheck::kInformational;
  } else if (plan.malformed) {
    result.overall = DataCheck::kMismatch;
  } else {
    // A re-hash rule but no bank we can compute (or no digests at all): nothing is proven.
    result.overall = DataCheck::kUnchecked;
  }
  return result;
}

}  // namespace bootgate::eventlog
