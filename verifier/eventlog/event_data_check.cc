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

enum class Rule {
  kWhole,
  kVariableData,
  kWholeOrVariableData,
  kGrubString,
  kInformational,
  kNoAction
};

struct Plan {
  Rule rule = Rule::kInformational;
  std::string description;
  // The byte ranges whose hash may equal the digest (one for most rules, two for BOOT2).
  std::vector<bytes::ByteSpan> candidates;
  bool malformed = false;  // the rule needs structure the data does not have
};

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
      plan.candidates.push_back(data);
      return plan;
    case kEvEfiVariableBoot:
    case kEvEfiVariableBoot2: {
      const bool boot2 = event.type == kEvEfiVariableBoot2;
      plan.rule = boot2 ? Rule::kWholeOrVariableData : Rule::kVariableData;
      auto var = ParseUefiVariable(data, event.type);
      if (!var.ok()) {
        plan.malformed = true;
        plan.description = absl::StrCat("malformed UEFI_VARIABLE_DATA: ", var.status().message());
        return plan;
      }
      plan.description = boot2 ? "hash of the whole UEFI_VARIABLE_DATA or of its VariableData"
                               : "hash of VariableData";
      plan.candidates.push_back(data.subspan(var->data_offset));
      if (boot2) plan.candidates.push_back(data);
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
          plan.candidates.push_back(measured);
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
  for (const EventDigest& digest : event.digests) {
    BankDataCheck bank{.alg_id = digest.alg_id};
    if (plan.rule == Rule::kNoAction) {
      bank.result = DataCheck::kNotApplicable;
    } else if (!rehash) {
      bank.result = DataCheck::kInformational;
    } else if (plan.malformed) {
      bank.result = DataCheck::kMismatch;
    } else if (digest.alg.has_value()) {
      bank.result = DataCheck::kUnchecked;
      std::optional<bool> match;
      for (bytes::ByteSpan candidate : plan.candidates) {
        auto hash = crypto::Hash(*digest.alg, candidate);
        if (!hash.ok()) break;  // this OpenSSL lacks the algorithm: leave unchecked
        match = match.value_or(false) || crypto::ConstantTimeEquals(*hash, digest.digest);
      }
      if (match.has_value()) bank.result = *match ? DataCheck::kVerified : DataCheck::kMismatch;
    }
    any_verified |= bank.result == DataCheck::kVerified;
    any_mismatch |= bank.result == DataCheck::kMismatch;
    result.banks.push_back(bank);
  }
  if (any_mismatch) {
    result.overall = DataCheck::kMismatch;
  } else if (any_verified) {
    result.overall = DataCheck::kVerified;
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
