// Fuzzes every event payload decoder and the data check: input = 4-byte little-endian event
// type, then the event data. The digest is a fixed SHA-256 so the re-hash paths run too.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "verifier/eventlog/decode.h"
#include "verifier/eventlog/device_path.h"
#include "verifier/eventlog/signature_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  bootgate::eventlog::Event event;
  event.type = static_cast<uint32_t>(data[0]) | static_cast<uint32_t>(data[1]) << 8 |
               static_cast<uint32_t>(data[2]) << 16 | static_cast<uint32_t>(data[3]) << 24;
  // The low byte of the type also picks the PCR, so grub's PCR 8 rule is reached.
  event.pcr = data[0] & 0x0F;
  event.data.assign(data + 4, data + size);
  event.digests.push_back({.alg_id = 0x000B,
                           .alg = bootgate::crypto::HashAlg::kSha256,
                           .digest = bootgate::eventlog::LoggedDigest(32, 0)});
  const bootgate::eventlog::DecodedEvent decoded = bootgate::eventlog::DecodeEvent(event);
  if (decoded.summary.empty()) __builtin_trap();
  // The sub-parsers on the raw payload as well, whatever the type says.
  const std::span<const uint8_t> payload(event.data);
  (void)bootgate::eventlog::DevicePathToText(payload);
  (void)bootgate::eventlog::ParseSignatureLists(payload);
  return 0;
}
