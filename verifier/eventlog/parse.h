// Parsing of TCG PC Client event logs (TCG PC Client Platform Firmware Profile, section 10):
// the SHA-1 legacy format (TCG_PCR_EVENT only) and the crypto-agile format (a Spec ID Event03
// header followed by TCG_PCR_EVENT2 events whose digest sizes come from the header).
//
// The parser only reads bytes: it never touches PCR state (see replay.h) and never trusts an
// event's type or data (see decode.h). Every read is bounded; counts and sizes are checked
// against ParseLimits before anything is allocated for them.
#ifndef BOOTGATE_VERIFIER_EVENTLOG_PARSE_H_
#define BOOTGATE_VERIFIER_EVENTLOG_PARSE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "verifier/crypto/hash.h"
#include "verifier/eventlog/event.h"

namespace bootgate::eventlog {

enum class LogFormat {
  kSha1Legacy,   // every event is a TCG_PCR_EVENT with one SHA-1 digest
  kCryptoAgile,  // Spec ID Event03 header, then TCG_PCR_EVENT2 events
};

// "sha1-legacy" or "crypto-agile".
absl::string_view LogFormatName(LogFormat format);

// One entry of the Spec ID header's digestSizes array.
struct SpecIdAlgorithm {
  uint16_t alg_id = 0;                 // TPM_ALG_ID as logged
  uint16_t digest_size = 0;            // as logged; equals DigestSize(*alg) when alg is known
  std::optional<crypto::HashAlg> alg;  // nullopt for an algorithm bootgate does not know
};

// TCG_EfiSpecIdEvent (the data of the first event of a crypto-agile log).
struct SpecId {
  uint32_t platform_class = 0;
  uint8_t spec_version_minor = 0;
  uint8_t spec_version_major = 0;
  uint8_t spec_errata = 0;
  uint8_t uintn_size = 0;  // 1 = UINT32, 2 = UINT64 (as logged, not interpreted)
  std::vector<SpecIdAlgorithm> algorithms;
  std::vector<uint8_t> vendor_info;
};

struct EventLog {
  LogFormat format = LogFormat::kSha1Legacy;
  SpecId spec_id;             // filled only for kCryptoAgile
  std::vector<Event> events;  // events[0] is the first (header) event; events[i].index == i
  // Bytes after the last event that were accepted as padding (see ParseEventLog); 0 if none.
  size_t padding_size = 0;
  uint8_t padding_byte = 0;  // 0x00 or 0xFF when padding_size > 0
};

struct ParseLimits {
  size_t max_log_size = 16 * 1024 * 1024;
  uint32_t max_events = 100000;
  uint32_t max_event_data_size = 1024 * 1024;
  // Caps both an event's digest count and the Spec ID header's algorithm count.
  uint32_t max_digests_per_event = 8;
};

// The largest digest size accepted in a Spec ID header for an algorithm bootgate does not know
// (SHA3-512 and SHA-512 are 64 bytes; anything far bigger is a corrupt header).
inline constexpr uint16_t kMaxUnknownDigestSize = 128;

// Parses `bytes` as a TCG event log. `bytes` is only borrowed during the call: events copy
// what they keep.
//
// The first event is always a legacy TCG_PCR_EVENT. If it is EV_NO_ACTION on PCR 0 and its data
// starts with "Spec ID Event03\0", its data is parsed as the Spec ID header and the rest of the
// log as TCG_PCR_EVENT2 events; otherwise the whole log is SHA-1 legacy. In a crypto-agile log:
//   - a digest whose algorithm is in the header but unknown to bootgate is kept with alg
//     unset (read using the header's size), so replay can skip it;
//   - a digest whose algorithm is not in the header, or appears twice in one event, is an error.
// An EV_NO_ACTION event that is not a Spec ID event (for example StartupLocality) is an ordinary
// event here; replay gives it its meaning.
//
// Padding: some firmware hands over the whole fixed-size log area, so the last event may be
// followed by filler (EDK2 fills the area with 0xFF, others with 0x00). When everything after
// an event boundary is 0xFF, or is 0x00 and at least as long as the smallest possible event of
// the format (32 bytes legacy, 16 crypto-agile), parsing stops there and the filler is reported
// in EventLog::padding_size. The length rule keeps a log cut a few bytes into an event on PCR 0
// (whose first bytes are zeros) an error rather than "padding". Anything else that does not
// parse as an event is an error: bytes are never dropped silently. A log that is nothing but
// filler is an error.
//
// Errors are InvalidArgument and name the event index, the offset of the event's first byte and
// what was wrong, e.g. "event 37 at offset 0x1a2c: event data size 4294967295 exceeds the limit
// of 1048576". Exceeding a limit of `limits` is InvalidArgument too.
absl::StatusOr<EventLog> ParseEventLog(std::span<const uint8_t> bytes,
                                       const ParseLimits& limits = {});

}  // namespace bootgate::eventlog

#endif  // BOOTGATE_VERIFIER_EVENTLOG_PARSE_H_
