// Small but well-formed PE32+ EFI applications (the stand-ins for shim, grub and the kernel's
// EFI stub) and the Authenticode image digest that firmware measures for them.
#ifndef BOOTGATE_SWTPM_FIXTURES_GENERATOR_PE_H_
#define BOOTGATE_SWTPM_FIXTURES_GENERATOR_PE_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "swtpm-fixtures/generator/byte_sink.h"
#include "verifier/crypto/hash.h"

namespace bootgate::fixtures {

struct PeOptions {
  uint64_t seed = 0;
  std::string_view label;     // .text and .data contents derive from seed + label
  size_t text_size = 0x1800;  // bytes of code
  size_t data_size = 0x600;   // bytes of initialized data
  // When non-empty, appended as the attribute certificate table (a WIN_CERTIFICATE of type
  // PKCS_SIGNED_DATA holding these bytes), as a signed image carries it.
  std::span<const uint8_t> signature;
};

// Returns a PE32+ image (machine x64, subsystem EFI application, two sections, file
// alignment 0x200, no timestamp so the bytes depend only on the options).
Bytes MakePeImage(const PeOptions& options);

// Returns the Authenticode digest of a PE/PE32+ image (Microsoft Authenticode PE format,
// "Calculating the PE Image Hash"): everything up to SizeOfHeaders except the checksum and the
// certificate-table directory entry, the sections in file order, then trailing data except the
// attribute certificate table. InvalidArgument if the image is not a PE or a header or section
// lies outside the file.
absl::StatusOr<crypto::Digest> AuthenticodeDigest(crypto::HashAlg alg,
                                                  std::span<const uint8_t> image);

}  // namespace bootgate::fixtures

#endif  // BOOTGATE_SWTPM_FIXTURES_GENERATOR_PE_H_
