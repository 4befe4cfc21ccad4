// Test-only builder of TCG event logs, byte by byte, in both formats: hand-made logs for the
// parser, replay and decoder tests. It computes the PCR values it expects with
// crypto::Extend, independently of verifier/eventlog/replay.cc.
#ifndef BOOTGATE_TESTS_UNIT_EVENTLOG_LOG_BUILDER_H_
#define BOOTGATE_TESTS_UNIT_EVENTLOG_LOG_BUILDER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/crypto/hash.h"
#include "verifier/crypto/pcr_values.h"

namespace bootgate::eventlog::testing {

// A Spec ID header entry. Use Known() for a hash bootgate computes, or any id and size for an
// algorithm it should skip.
struct HeaderAlg {
  uint16_t alg_id;
  uint16_t digest_size;
  static HeaderAlg Known(crypto::HashAlg alg);
};

// One digest as written into an event (for hand-made, possibly inconsistent, events).
struct RawDigest {
  uint16_t alg_id;
  std::vector<uint8_t> digest;
};

std::vector<uint8_t> Bytes(std::string_view text);  // the characters, no NUL added

class LogBuilder {
 public:
  // A crypto-agile log whose Spec ID header declares `algs` in that order.
  static LogBuilder CryptoAgile(std::vector<HeaderAlg> algs);
  static LogBuilder CryptoAgile(std::vector<crypto::HashAlg> banks);
  // A SHA-1 legacy log (no header event; the first event is an ordinary one).
  static LogBuilder Legacy();

  // An event whose digest in every declared bank is H(data) (unknown algorithms get 0x5a
  // filler of their size); extended into the expected PCRs unless it is EV_NO_ACTION.
  LogBuilder& Measure(uint32_t pcr, uint32_t type, std::vector<uint8_t> data);
  // An event with `digest_of` hashed for the digests and `data` as its data (like a boot
  // application, whose digest covers the image and whose data is a path).
  LogBuilder& MeasureOther(uint32_t pcr, uint32_t type, std::span<const uint8_t> digest_of,
                           std::vector<uint8_t> data);
  // EV_NO_ACTION on PCR 0 with "StartupLocality\0" + `locality`; sets the expected PCR 0 start.
  LogBuilder& StartupLocality(uint8_t locality);
  // An event written exactly as given; for a legacy log `digests` must hold one 20-byte digest.
  // Does not change the expected PCRs.
  LogBuilder& Raw(uint32_t pcr, uint32_t type, std::vector<RawDigest> digests,
                  std::vector<uint8_t> data);
  // Appends bytes after the last event (padding, garbage).
  LogBuilder& Trailing(std::vector<uint8_t> bytes);

  std::vector<uint8_t> Build() const;
  // Offset of each event in Build()'s output, the header event first (crypto-agile).
  const std::vector<size_t>& event_offsets() const { return offsets_; }
  size_t event_count() const { return offsets_.size(); }
  // PCRs 0-23 of every known declared bank after the events added with Measure*/StartupLocality.
  const crypto::PcrValues& expected_pcrs() const { return expected_; }

 private:
  LogBuilder(bool agile, std::vector<HeaderAlg> algs);
  void Extend(uint32_t pcr, const std::vector<RawDigest>& digests);
  std::vector<RawDigest> DigestsOf(std::span<const uint8_t> data) const;
  void Put16(uint16_t v);
  void Put32(uint32_t v);
  void Put(std::span<const uint8_t> bytes);

  bool agile_;
  std::vector<HeaderAlg> algs_;
  std::vector<uint8_t> log_;
  std::vector<size_t> offsets_;
  crypto::PcrValues expected_;
  bool pcr0_extended_ = false;
};

}  // namespace bootgate::eventlog::testing

#endif  // BOOTGATE_TESTS_UNIT_EVENTLOG_LOG_BUILDER_H_
