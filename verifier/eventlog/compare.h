// Comparison of replayed PCRs with the values a TPM quoted (or that were read from it): the
// step that ties the log to the hardware. A mismatch means the log is not the one the TPM saw.
#ifndef BOOTGATE_VERIFIER_EVENTLOG_COMPARE_H_
#define BOOTGATE_VERIFIER_EVENTLOG_COMPARE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "verifier/crypto/hash.h"
#include "verifier/crypto/pcr_values.h"
#include "verifier/eventlog/replay.h"

namespace bootgate::eventlog {

// A PCR whose replayed value differs from the quoted one.
struct PcrMismatch {
  crypto::HashAlg bank;
  uint32_t pcr = 0;
  crypto::Digest replayed;
  crypto::Digest quoted;
  std::vector<uint32_t> events;  // indices of the events that fed this PCR in the log
  // "sha256 PCR 4: replay gives 3f2a9c01…, quote says 41b0d2e7…; fed by events 12, 15, 16"
  std::string message;
};

// A bank the TPM has active (it is in the quoted values) for which the log has no digests:
// nothing in the log constrains it, so anyone could have extended it.
struct MissingBank {
  crypto::HashAlg bank;
  // "sha1 bank is active in the TPM but the log has no sha1 digests: anyone can extend it"
  std::string message;
};

struct Comparison {
  std::vector<PcrMismatch> mismatches;  // ordered by bank, then PCR
  std::vector<MissingBank> missing_banks;
  bool ok() const { return mismatches.empty() && missing_banks.empty(); }
};

// Compares every (bank, PCR) present in `quoted` with `replay`, in constant time per digest.
// PCRs the replay does not cover (outside 0-23) are not compared; banks of the replay that are
// not quoted are not findings (the quote selects what it covers; the caller checks coverage).
Comparison CompareWithQuoted(const ReplayResult& replay, const crypto::PcrValues& quoted);

}  // namespace bootgate::eventlog

#endif  // BOOTGATE_VERIFIER_EVENTLOG_COMPARE_H_
