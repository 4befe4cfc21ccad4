// One event of a TCG PC Client event log, as parsed: the shared vocabulary of the parser,
// the payload decoders, replay and the CLI.
#ifndef BOOTGATE_VERIFIER_EVENTLOG_EVENT_H_
#define BOOTGATE_VERIFIER_EVENTLOG_EVENT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "verifier/crypto/hash.h"

namespace bootgate::eventlog {

// A digest as logged, stored inline up to SHA-384: a log has one digest per bank per event,
// and a heap block for each would cost more than parsing them. Events are kept small too,
// since the event vector moves them as it grows.
using LoggedDigest = absl::InlinedVector<uint8_t, 48>;

struct EventDigest {
  uint16_t alg_id = 0;                 // TPM_ALG_ID as logged
  std::optional<crypto::HashAlg> alg;  // nullopt for an algorithm bootgate does not know
  LoggedDigest digest;
};

struct Event {
  uint32_t index = 0;  // position in the log; the first (header) event is 0
  size_t offset = 0;   // byte offset of the event's first byte in the log
  uint32_t pcr = 0;    // PCRIndex as logged (may be anything: replay checks it)
  uint32_t type = 0;   // EventType as logged (not covered by the PCR: never trust it alone)
  absl::InlinedVector<EventDigest, 2> digests;  // one per bank; a third bank spills to the heap
  std::vector<uint8_t> data;                    // the event data, copied out of the log
};

}  // namespace bootgate::eventlog

#endif  // BOOTGATE_VERIFIER_EVENTLOG_EVENT_H_
