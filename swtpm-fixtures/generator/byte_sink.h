// Little-endian byte output for the structures firmware writes (TCG event log, UEFI variables,
// GPT, PE headers). Written independently of verifier/bytes so that a byte-order bug shared
// by generator and parser cannot make a fixture pass.
#ifndef BOOTGATE_SWTPM_FIXTURES_GENERATOR_BYTE_SINK_H_
#define BOOTGATE_SWTPM_FIXTURES_GENERATOR_BYTE_SINK_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace bootgate::fixtures {

using Bytes = std::vector<uint8_t>;

class ByteSink {
 public:
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) { PutLe(v, 2); }
  void U32(uint32_t v) { PutLe(v, 4); }
  void U64(uint64_t v) { PutLe(v, 8); }
  void Append(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void Ascii(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  void Zeros(size_t n) { out_.resize(out_.size() + n, 0); }
  // ASCII -> UTF-16LE code units (fixture strings are ASCII), optionally NUL-terminated.
  void Utf16(std::string_view s, bool nul) {
    for (char c : s) U16(static_cast<uint8_t>(c));
    if (nul) U16(0);
  }
  size_t size() const { return out_.size(); }
  Bytes& bytes() { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  void PutLe(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  Bytes out_;
};

// Overwrites `n` bytes at `offset` with `v` little-endian (for fields known only at the end,
// like a PE checksum or a GPT CRC). The caller guarantees offset + n <= out.size().
inline void PatchLe(Bytes& out, size_t offset, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace bootgate::fixtures

#endif  // BOOTGATE_SWTPM_FIXTURES_GENERATOR_BYTE_SINK_H_
