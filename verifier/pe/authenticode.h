// The Authenticode image hash of a PE/COFF file: the value UEFI firmware extends into PCR 4
// for EV_EFI_BOOT_SERVICES_APPLICATION, and the identity of shim, grub and the kernel's EFI
// stub in baselines.
//
// Follows Microsoft's "Windows Authenticode Portable Executable Signature Format"
// ("Calculating the PE Image Hash") as EDK2's DxeImageVerificationLib implements it: the
// headers up to SizeOfHeaders without the CheckSum field and the Certificate Table data
// directory entry, then the sections with raw data in PointerToRawData order, then any data
// after SizeOfHeaders + the sections' raw sizes, minus the attribute certificate table
// (Certificate Table size bytes at the end of the file).
//
// Every byte is untrusted: all reads go through bytes::Reader; the section count is capped
// (kMaxSections), and every offset and size is checked against the file without overflow.
#ifndef BOOTGATE_VERIFIER_PE_AUTHENTICODE_H_
#define BOOTGATE_VERIFIER_PE_AUTHENTICODE_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/crypto/hash.h"

namespace bootgate::pe {

// The Windows loader's limit; a COFF header may claim up to 65535.
inline constexpr uint32_t kMaxSections = 96;

// A half-open range [offset, offset + size) of the image.
struct ByteRange {
  uint64_t offset = 0;
  uint64_t size = 0;
  bool operator==(const ByteRange&) const = default;
};

// Returns the ranges of `image` the Authenticode hash covers, in hashing order (empty ranges
// are left out). InvalidArgument, naming the offset and field, if `image` is not a PE32 or
// PE32+ file ("MZ", e_lfanew, "PE\0\0", optional header magic 0x10b/0x20b), if a header,
// the section table or a section's raw data lies outside the file, if SizeOfHeaders does not
// cover the fields that are skipped, if there are more than kMaxSections sections, or if the
// certificate table is larger than what follows the hashed sections.
absl::StatusOr<std::vector<ByteRange>> AuthenticodeRanges(std::span<const uint8_t> image);

// Returns the Authenticode digest of `image` with `alg`. Errors as AuthenticodeRanges;
// Unimplemented if OpenSSL has no such digest, Internal if hashing fails.
absl::StatusOr<crypto::Digest> AuthenticodeDigest(crypto::HashAlg alg,
                                                  std::span<const uint8_t> image);

}  // namespace bootgate::pe

#endif  // BOOTGATE_VERIFIER_PE_AUTHENTICODE_H_
