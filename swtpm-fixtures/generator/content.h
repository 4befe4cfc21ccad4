// Deterministic pseudo-random contents: the same (seed, label, length) always gives the same
// bytes, so a scenario and seed fix every byte of the generated boot.
#ifndef BOOTGATE_SWTPM_FIXTURES_GENERATOR_CONTENT_H_
#define BOOTGATE_SWTPM_FIXTURES_GENERATOR_CONTENT_H_

#include <cstdint>
#include <string_view>

#include "swtpm-fixtures/generator/byte_sink.h"

namespace bootgate::fixtures {

// Returns `length` bytes of SHA-256(seed || label || counter) blocks.
Bytes DeriveBytes(uint64_t seed, std::string_view label, size_t length);

// Returns a 16-byte GUID (in EFI byte order) derived from seed and label, with the RFC 4122
// version-4 bits set so it looks like a real random GUID.
Bytes DeriveGuid(uint64_t seed, std::string_view label);

}  // namespace bootgate::fixtures

#endif  // BOOTGATE_SWTPM_FIXTURES_GENERATOR_CONTENT_H_
