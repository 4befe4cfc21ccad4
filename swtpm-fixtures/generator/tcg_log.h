// The crypto-agile TCG event log as UEFI firmware writes it (TCG PC Client Platform Firmware
// Profile 1.05, section 10.2.1-10.2.2): a SHA-1-format first event carrying the Spec ID
// Event03 header, then TCG_PCR_EVENT2 records with one digest per active bank.
#ifndef BOOTGATE_SWTPM_FIXTURES_GENERATOR_TCG_LOG_H_
#define BOOTGATE_SWTPM_FIXTURES_GENERATOR_TCG_LOG_H_

#include <cstdint>
#include <span>
#include <vector>

#include "swtpm-fixtures/generator/byte_sink.h"
#include "verifier/crypto/hash.h"

namespace bootgate::fixtures {

inline constexpr uint32_t kEvNoAction = 0x00000003;
inline constexpr uint32_t kEvSeparator = 0x00000004;
inline constexpr uint32_t kEvSCrtmVersion = 0x00000008;
inline constexpr uint32_t kEvIpl = 0x0000000D;
inline constexpr uint32_t kEvEfiVariableDriverConfig = 0x80000001;
inline constexpr uint32_t kEvEfiVariableBoot = 0x80000002;
inline constexpr uint32_t kEvEfiBootServicesApplication = 0x80000003;
inline constexpr uint32_t kEvEfiGptEvent = 0x80000006;
inline constexpr uint32_t kEvEfiAction = 0x80000007;
inline constexpr uint32_t kEvEfiPlatformFirmwareBlob2 = 0x8000000A;
inline constexpr uint32_t kEvEfiVariableAuthority = 0x800000E0;

// One log record after the Spec ID header. `digests` holds one digest per bank, in the order
// of the log's banks; EV_NO_ACTION records carry zero digests and are not extended.
struct LoggedEvent {
  uint32_t pcr = 0;
  uint32_t type = 0;
  std::vector<crypto::Digest> digests;
  Bytes data;
};

// Returns the Spec ID Event03 record (legacy TCG_PCR_EVENT format, PCR 0, EV_NO_ACTION,
// 20 zero bytes of digest) listing `banks` with their digest sizes.
Bytes SpecIdEvent(std::span<const crypto::HashAlg> banks);

// Returns the StartupLocality EV_NO_ACTION event data: "StartupLocality\0" + locality.
Bytes StartupLocalityData(uint8_t locality);

// Returns one TCG_PCR_EVENT2 record. The event's digests must match `banks` in count and size.
Bytes PcrEvent2(std::span<const crypto::HashAlg> banks, const LoggedEvent& event);

// Returns the whole log: Spec ID event then every event.
Bytes SerializeLog(std::span<const crypto::HashAlg> banks, std::span<const LoggedEvent> events);

}  // namespace bootgate::fixtures

#endif  // BOOTGATE_SWTPM_FIXTURES_GENERATOR_TCG_LOG_H_
