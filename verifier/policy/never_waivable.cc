#include "verifier/policy/never_waivable.h"

#include <algorithm>
#include <array>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace bootgate::policy {
namespace {

constexpr std::array<uint32_t, 2> kChainPcrs = {4, 7};  // the boot chain is read from these

// Keep policies/README.md ("Never waivable") identical: code, PCRs and reason.
constexpr NeverWaivable kList[] = {
    // Evidence: the quote, its PCR values and the log as proof.
    {"bad-magic", {}, "the quote was not made by a TPM (TPMS_ATTEST magic)"},
    {"not-a-quote", {}, "the signed structure is not a quote, so it proves no PCR values"},
    {"unsupported-scheme", {}, "the signature's scheme or hash is not accepted: nothing verified"},
    {"key-scheme-mismatch", {}, "the signature does not fit the host's AK: nothing verified"},
    {"bad-signature", {}, "the host's AK did not sign this quote"},
    {"nonce-mismatch", {}, "the quote does not answer this challenge: it may be replayed"},
    {"pcr-selection-missing", {}, "the quote does not cover a PCR the check needs"},
    {"pcr-values-missing", {}, "the PCR values sent lack a PCR the quote covers"},
    {"pcr-digest-mismatch", {}, "the PCR values sent are not the ones the TPM quoted"},
    {"log-replay-mismatch",
     {},
     "the log does not replay to the quoted PCRs: edited, truncated or another boot's"},
    {"log-replay-failed", {}, "the log cannot be replayed, so it proves nothing"},
    {"no-event-log", {}, "without a log the quote does not show how the host booted"},
    {"malformed-evidence", {}, "the quote, signature or log does not parse"},
    {"pcr-not-quoted", {}, "events on a PCR the quote does not cover prove nothing"},
    {"bank-missing", {}, "the log lacks a PCR bank the group requires as proof"},
    {"digest-bank-missing",
     {},
     "no SHA-256 digest to compare: nothing the baseline pins is proven"},
    {"reset-count-decreased",
     {},
     "the TPM's resetCount went back: a replayed quote or rolled-back TPM"},
    {"restart-count-decreased",
     {},
     "the TPM's restartCount went back: a replayed quote or rolled-back TPM"},
    {"tpm-clock-decreased",
     {},
     "the TPM's clock went back while reported safe: a replayed quote or rolled-back TPM"},
    {"tpm-rollback-unacknowledged",
     {},
     "a TPM rollback caught earlier: only an admin's acknowledgement or re-enrollment clears it"},
    {"ak-revoked", {}, "the host's AK was revoked: nothing it signs is trusted"},
    // Event log: its structure.
    {"event-data-mismatch", {}, "the event's data does not hash to its digest: forged content"},
    {"duplicate-separator", {}, "a second separator hides what was measured before it"},
    {"missing-separator", kChainPcrs,
     "the log cannot show what came before the OS loader took over"},
    {"error-separator",
     {},
     "the firmware reported an error while measuring: the log is incomplete"},
    {"unexpected-event", kChainPcrs,
     "an event the TCG PC Client PFP does not place there could hide an image or a configuration"},
    // Secure Boot: configuration that cannot be read as measured.
    {"config-after-separator",
     {},
     "Secure Boot configuration measured after the PCR 7 separator: not a normal boot"},
    {"duplicate-variable",
     {},
     "a Secure Boot variable measured twice: which value counted is unproven"},
    {"malformed-variable", {}, "a Secure Boot variable that does not parse: the state is unproven"},
    {"malformed-authority",
     {},
     "a db authority with no certificate: what verified the image is unproven"},
    {"authority-not-in-measured-db",
     {},
     "the log says a certificate the measured db does not hold verified an image: it contradicts "
     "itself"},
    // Boot loader.
    {"image-after-exit-boot-services",
     {},
     "an image loaded after ExitBootServices is outside the chain"},
    // Policy.
    {"no-policy-for-host",
     {},
     "the host is in no group: nothing was compared, and an exception is no baseline"},
};

bool OnScope(const NeverWaivable& entry, uint32_t pcr) {
  return std::find(entry.pcrs.begin(), entry.pcrs.end(), pcr) != entry.pcrs.end();
}

}  // namespace

std::span<const NeverWaivable> NeverWaivableFindings() { return kList; }

const NeverWaivable* FindNeverWaivable(absl::string_view code) {
  for (const NeverWaivable& entry : kList) {
    if (entry.code == code) return &entry;
  }
  return nullptr;
}

const NeverWaivable* ForbiddenException(absl::string_view code, std::optional<uint32_t> pcr) {
  const NeverWaivable* entry = FindNeverWaivable(code);
  if (entry == nullptr || entry->pcrs.empty() || !pcr.has_value() || OnScope(*entry, *pcr)) {
    return entry;
  }
  return nullptr;
}

bool IsNeverWaivable(const appraisal::Finding& finding) {
  return ForbiddenException(finding.code, finding.pcr) != nullptr;
}

std::string NeverWaivablePcrs(const NeverWaivable& entry) {
  if (entry.pcrs.empty()) return "any";
  return absl::StrCat("PCR ", absl::StrJoin(entry.pcrs, ", "));
}

}  // namespace bootgate::policy
