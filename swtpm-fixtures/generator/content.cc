#include "swtpm-fixtures/generator/content.h"

#include <openssl/sha.h>

namespace bootgate::fixtures {

Bytes DeriveBytes(uint64_t seed, std::string_view label, size_t length) {
  Bytes out;
  out.reserve(length + SHA256_DIGEST_LENGTH);
  for (uint32_t counter = 0; out.size() < length; ++counter) {
    ByteSink block;
    block.U64(seed);
    block.Ascii(label);
    block.U32(counter);
    uint8_t md[SHA256_DIGEST_LENGTH];
    SHA256(block.bytes().data(), block.size(), md);
    out.insert(out.end(), md, md + sizeof(md));
  }
  out.resize(length);
  return out;
}

Bytes DeriveGuid(uint64_t seed, std::string_view label) {
  Bytes g = DeriveBytes(seed, label, 16);
  g[7] = static_cast<uint8_t>((g[7] & 0x0f) | 0x40);  // Data3's high nibble (LE): version 4
  g[8] = static_cast<uint8_t>((g[8] & 0x3f) | 0x80);  // variant 10xx
  return g;
}

}  // namespace bootgate::fixtures
