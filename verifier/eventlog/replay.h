// Replay of a parsed event log into PCR values: what the TPM's PCRs must hold if the log is
// complete and unedited. Replay trusts nothing but the digests (never an event's type or data,
// except to recognise EV_NO_ACTION, which the TPM never sees).
#ifndef BOOTGATE_VERIFIER_EVENTLOG_REPLAY_H_
#define BOOTGATE_VERIFIER_EVENTLOG_REPLAY_H_

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/crypto/hash.h"
#include "verifier/crypto/pcr_values.h"
#include "verifier/eventlog/parse.h"

namespace bootgate::eventlog {

struct ReplayResult {
  // Every replayed bank, each with all PCRs 0-23 (a PCR no event fed keeps its initial value).
  crypto::PcrValues pcrs;
  // Indices of the events extended into each PCR, in log order. The same for every bank,
  // because replay requires every extended event to carry a digest for every replayed bank.
  std::array<std::vector<uint32_t>, crypto::kPcrCount> fed_by;
  // The locality of a StartupLocality event, if the log has one (PCR 0 started at it).
  std::optional<uint8_t> startup_locality;
  // Algorithms the Spec ID header declares that bootgate does not know: their digests were
  // skipped, so those banks are not in `pcrs`.
  std::vector<uint16_t> skipped_alg_ids;
};

// Replays `log` into PCRs 0-23 of every bank the log declares: each known algorithm of the Spec
// ID header for a crypto-agile log, SHA-1 for a legacy log. PCRs start at their TPM2_Startup
// value: zero, except PCRs 17-22 (DRTM), which start at all ones. A log of a dynamic launch
// (which resets PCRs 17-22 to zero) is not replayed as such: its PCRs would not match. Rules:
//   - EV_NO_ACTION events are never extended (this includes the Spec ID header event).
//   - A StartupLocality EV_NO_ACTION event on PCR 0 ("StartupLocality\0" + one locality byte)
//     sets PCR 0's initial value to 00..00<locality> in every bank. It must come before any
//     event extends PCR 0, and at most once.
//   - Every other event is extended into its PCR in every bank.
// Errors (InvalidArgument, naming the event index and PCR or bank): an extended event claiming
// a PCR outside 0-23; an extended event with no digest for a bank the header declares; a
// misplaced, repeated or malformed StartupLocality event. Unimplemented if OpenSSL lacks a
// declared hash (SM3 on some builds). Internal if OpenSSL fails.
absl::StatusOr<ReplayResult> Replay(const EventLog& log);

// True when `event` is a StartupLocality event (TCG PC Client PFP 10.4.5.3); sets `locality`.
bool IsStartupLocalityEvent(const Event& event, uint8_t& locality);

}  // namespace bootgate::eventlog

#endif  // BOOTGATE_VERIFIER_EVENTLOG_REPLAY_H_
