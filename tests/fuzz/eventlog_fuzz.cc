// libFuzzer target: the event log pipeline on untrusted bytes: ParseEventLog, Replay,
// CompareWithQuoted (against the replay itself) and DecodeEvent for every event. Checks the
// invariants the rest of bootgate relies on, not only the absence of crashes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "verifier/crypto/hash.h"
#include "verifier/eventlog/compare.h"
#include "verifier/eventlog/decode.h"
#include "verifier/eventlog/parse.h"
#include "verifier/eventlog/replay.h"

namespace {

// Small limits, so the fuzzer reaches them instead of spending its time on huge allocations.
bootgate::eventlog::ParseLimits FuzzLimits() {
  bootgate::eventlog::ParseLimits limits;
  limits.max_events = 2000;
  limits.max_event_data_size = 64 * 1024;
  return limits;
}

void Require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace el = bootgate::eventlog;
  auto log = el::ParseEventLog(std::span<const uint8_t>(data, size), FuzzLimits());
  if (!log.ok()) return 0;

  Require(!log->events.empty());
  size_t previous_end = 0;
  for (size_t i = 0; i < log->events.size(); ++i) {
    const el::Event& e = log->events[i];
    Require(e.index == i);
    Require(e.offset >= previous_end && e.offset < size);
    previous_end = e.offset + 8;
    for (const el::EventDigest& d : e.digests) {
      if (d.alg.has_value()) Require(d.digest.size() == bootgate::crypto::DigestSize(*d.alg));
    }
    const el::DecodedEvent decoded = el::DecodeEvent(e);
    (void)decoded;
  }
  Require(log->padding_size <= size);

  auto replay = el::Replay(*log);
  if (!replay.ok()) return 0;
  for (const auto& [bank, pcrs] : replay->pcrs) {
    Require(pcrs.size() == bootgate::crypto::kPcrCount);
    for (const auto& [pcr, value] : pcrs) {
      Require(value.size() == bootgate::crypto::DigestSize(bank));
    }
  }
  // A replay always agrees with itself.
  Require(el::CompareWithQuoted(*replay, replay->pcrs).ok());
  return 0;
}
