// Authenticode image digests of hand-made PE files: every rule of "Calculating the PE Image
// Hash" checked against a reference concatenation written out here, plus truncation and
// corruption loops (a hostile image must give an error, never a read past the end).
#include "verifier/pe/authenticode.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "verifier/bytes/hex.h"
#include "verifier/crypto/hash.h"

namespace bootgate::pe {
namespace {

using Bytes = std::vector<uint8_t>;
using crypto::HashAlg;

void Put16(Bytes& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v);
  b[off + 1] = static_cast<uint8_t>(v >> 8);
}
void Put32(Bytes& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

struct SectionSpec {
  uint32_t raw_pointer;
  uint32_t raw_size;
};

// What a test image looks like; offsets of the interesting fields are recorded in Image.
struct Spec {
  bool pe32_plus = true;
  uint32_t rva_count = 16;
  uint32_t headers_size = 0x200;
  std::vector<SectionSpec> sections = {{0x200, 0x400}, {0x600, 0x200}};
  size_t trailing = 0;   // bytes of non-certificate data after the sections
  size_t cert_size = 0;  // attribute certificate table appended at the end
};

struct Image {
  Bytes bytes;
  size_t checksum = 0;
  size_t cert_entry = 0;  // 0 if NumberOfRvaAndSizes <= 4
  size_t section_table = 0;
  size_t coff = 0;
};

constexpr size_t kPe = 0x80;

// Lays out MZ header, PE signature, COFF header, optional header, section table, section data
// (each byte a function of its offset, so a wrongly hashed range changes the digest), trailing
// data and certificate table.
Image Make(const Spec& s) {
  size_t end = s.headers_size;
  for (const SectionSpec& sec : s.sections) {
    end = std::max<size_t>(end, size_t{sec.raw_pointer} + sec.raw_size);
  }
  const size_t trailing_at = end;
  end += s.trailing;
  const size_t cert_at = end;
  end += s.cert_size;
  Image img;
  img.bytes.resize(end);
  for (size_t i = 0; i < end; ++i) img.bytes[i] = static_cast<uint8_t>(i * 7 + (i >> 8));
  Bytes& b = img.bytes;
  b[0] = 'M';
  b[1] = 'Z';
  Put32(b, 0x3c, kPe);
  b[kPe] = 'P';
  b[kPe + 1] = 'E';
  b[kPe + 2] = 0;
  b[kPe + 3] = 0;
  img.coff = kPe + 4;
  Put16(b, img.coff, 0x8664);
  Put16(b, img.coff + 2, static_cast<uint16_t>(s.sections.size()));
  const size_t optional = img.coff + 20;
  const size_t directories = optional + (s.pe32_plus ? 112 : 96);
  const uint16_t optional_size = static_cast<uint16_t>(directories - optional + 16 * 8);
  Put16(b, img.coff + 16, optional_size);
  Put16(b, optional, s.pe32_plus ? 0x20b : 0x10b);
  Put32(b, optional + 60, s.headers_size);
  img.checksum = optional + 64;
  Put32(b, directories - 4, s.rva_count);
  if (s.rva_count > 4) {
    img.cert_entry = directories + 4 * 8;
    Put32(b, img.cert_entry, s.cert_size ? static_cast<uint32_t>(cert_at) : 0);
    Put32(b, img.cert_entry + 4, static_cast<uint32_t>(s.cert_size));
  }
  img.section_table = optional + optional_size;
  for (size_t i = 0; i < s.sections.size(); ++i) {
    const size_t h = img.section_table + 40 * i;
    Put32(b, h + 16, s.sections[i].raw_size);
    Put32(b, h + 20, s.sections[i].raw_pointer);
  }
  (void)trailing_at;
  return img;
}

Bytes Slice(const Bytes& b, size_t from, size_t to) {
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from),
               b.begin() + static_cast<std::ptrdiff_t>(to));
}
void Append(Bytes& out, const Bytes& b, size_t from, size_t to) {
  out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(from),
             b.begin() + static_cast<std::ptrdiff_t>(to));
}

std::string Digest(HashAlg alg, const Bytes& image) {
  absl::StatusOr<crypto::Digest> d = AuthenticodeDigest(alg, image);
  REQUIRE(d.ok());
  return bytes::ToHex(*d);
}
std::string Plain(HashAlg alg, const Bytes& data) { return bytes::ToHex(*crypto::Hash(alg, data)); }

TEST_CASE("authenticode hashes headers without checksum and certificate entry, then sections",
          "[pe]") {
  Spec spec;
  spec.cert_size = 0x48;
  const Image img = Make(spec);
  Bytes expected;
  Append(expected, img.bytes, 0, img.checksum);
  Append(expected, img.bytes, img.checksum + 4, img.cert_entry);
  Append(expected, img.bytes, img.cert_entry + 8, 0x200);
  Append(expected, img.bytes, 0x200, 0x800);
  for (HashAlg alg : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384}) {
    CHECK(Digest(alg, img.bytes) == Plain(alg, expected));
  }
}

TEST_CASE("authenticode digest ignores the checksum, the certificate entry and the table", "[pe]") {
  Spec spec;
  spec.cert_size = 0x40;
  const Image img = Make(spec);
  const std::string base = Digest(HashAlg::kSha256, img.bytes);
  Image changed = img;
  Put32(changed.bytes, img.checksum, 0xdeadbeef);
  CHECK(Digest(HashAlg::kSha256, changed.bytes) == base);
  changed.bytes[changed.bytes.size() - 1] ^= 0xff;  // inside the certificate table
  CHECK(Digest(HashAlg::kSha256, changed.bytes) == base);
  Put32(changed.bytes, img.cert_entry, 0x12345678);  // table offset is not hashed either
  CHECK(Digest(HashAlg::kSha256, changed.bytes) == base);
}

TEST_CASE("authenticode digest changes with any hashed byte", "[pe]") {
  Spec spec;
  spec.trailing = 0x10;
  spec.cert_size = 0x20;
  const Image img = Make(spec);
  const std::string base = Digest(HashAlg::kSha256, img.bytes);
  const auto ranges = AuthenticodeRanges(img.bytes);
  REQUIRE(ranges.ok());
  // Flip the middle byte of each hashed range (in this layout never a field the parser reads).
  REQUIRE(ranges->size() == 6);
  for (const ByteRange& r : *ranges) {
    const size_t at = static_cast<size_t>(r.offset + r.size / 2);
    Bytes changed = img.bytes;
    changed[at] ^= 0x01;
    INFO("offset " << at);
    CHECK(Digest(HashAlg::kSha256, changed) != base);
  }
}

TEST_CASE("authenticode hashes sections in PointerToRawData order, not table order", "[pe]") {
  Spec ordered;
  ordered.sections = {{0x200, 0x400}, {0x600, 0x200}};
  Spec reversed = ordered;
  reversed.sections = {{0x600, 0x200}, {0x200, 0x400}};
  const Image a = Make(ordered);
  const Image b = Make(reversed);
  const auto ranges = AuthenticodeRanges(b.bytes);
  REQUIRE(ranges.ok());
  REQUIRE(ranges->size() == 5);
  CHECK((*ranges)[3] == ByteRange{0x200, 0x400});
  CHECK((*ranges)[4] == ByteRange{0x600, 0x200});
  // Same section bytes at the same offsets; only the table order differs, which is hashed
  // as part of the headers: recompute the reference from b's own bytes.
  Bytes expected;
  Append(expected, b.bytes, 0, b.checksum);
  Append(expected, b.bytes, b.checksum + 4, b.cert_entry);
  Append(expected, b.bytes, b.cert_entry + 8, 0x200);
  Append(expected, b.bytes, 0x200, 0x800);
  CHECK(Digest(HashAlg::kSha256, b.bytes) == Plain(HashAlg::kSha256, expected));
  CHECK(Digest(HashAlg::kSha256, a.bytes) != Digest(HashAlg::kSha256, b.bytes));
}

TEST_CASE("authenticode skips sections without raw data", "[pe]") {
  Spec spec;
  spec.sections = {{0x200, 0x400}, {0, 0}, {0x600, 0x200}};  // e.g. .bss
  const Image img = Make(spec);
  const auto ranges = AuthenticodeRanges(img.bytes);
  REQUIRE(ranges.ok());
  CHECK(ranges->size() == 5);
  CHECK(ranges->back() == ByteRange{0x600, 0x200});
}

TEST_CASE("authenticode hashes trailing data but not the certificate table", "[pe]") {
  Spec spec;
  spec.trailing = 0x30;
  spec.cert_size = 0x28;
  const Image img = Make(spec);
  const auto ranges = AuthenticodeRanges(img.bytes);
  REQUIRE(ranges.ok());
  CHECK(ranges->back() == ByteRange{0x800, 0x30});
  Bytes expected;
  for (const ByteRange& r : *ranges) Append(expected, img.bytes, r.offset, r.offset + r.size);
  CHECK(expected.size() == img.bytes.size() - 4 - 8 - 0x28);
  CHECK(Digest(HashAlg::kSha256, img.bytes) == Plain(HashAlg::kSha256, expected));
}

TEST_CASE("authenticode of an unsigned image hashes every byte but the checksum and entry",
          "[pe]") {
  Spec spec;
  spec.trailing = 0x11;
  const Image img = Make(spec);
  Bytes expected;
  Append(expected, img.bytes, 0, img.checksum);
  Append(expected, img.bytes, img.checksum + 4, img.cert_entry);
  Append(expected, img.bytes, img.cert_entry + 8, img.bytes.size());
  CHECK(Digest(HashAlg::kSha256, img.bytes) == Plain(HashAlg::kSha256, expected));
}

TEST_CASE("authenticode handles PE32 images", "[pe]") {
  Spec spec;
  spec.pe32_plus = false;
  spec.cert_size = 0x18;
  const Image img = Make(spec);
  CHECK(img.cert_entry == img.coff + 20 + 96 + 32);
  Bytes expected;
  Append(expected, img.bytes, 0, img.checksum);
  Append(expected, img.bytes, img.checksum + 4, img.cert_entry);
  Append(expected, img.bytes, img.cert_entry + 8, 0x800);
  CHECK(Digest(HashAlg::kSha256, img.bytes) == Plain(HashAlg::kSha256, expected));
}

TEST_CASE("authenticode without a certificate directory entry skips only the checksum", "[pe]") {
  Spec spec;
  spec.rva_count = 4;
  const Image img = Make(spec);
  REQUIRE(img.cert_entry == 0);
  Bytes expected;
  Append(expected, img.bytes, 0, img.checksum);
  Append(expected, img.bytes, img.checksum + 4, img.bytes.size());
  CHECK(Digest(HashAlg::kSha256, img.bytes) == Plain(HashAlg::kSha256, expected));
}

// The digest pesign 0.112 (Debian bookworm) prints with `pesign -h -i` for Make(Spec{}) with a
// 0x48-byte certificate table.
TEST_CASE("authenticode agrees with a digest computed by pesign", "[pe]") {
  Spec spec;
  spec.cert_size = 0x48;
  const Image img = Make(spec);
  CHECK(Digest(HashAlg::kSha256, img.bytes) ==
        "5136179033d1bd5e10ebe6dc0d078c1c5972f20542d2d1a6d57ffacae28dd3f8");
}

TEST_CASE("authenticode refuses images that are not PE files", "[pe]") {
  const Image good = Make(Spec{});
  auto refused = [](const Bytes& b, const std::string& needle) {
    absl::StatusOr<crypto::Digest> d = AuthenticodeDigest(HashAlg::kSha256, b);
    REQUIRE_FALSE(d.ok());
    CHECK(d.status().code() == absl::StatusCode::kInvalidArgument);
    INFO(d.status().message());
    CHECK(std::string(d.status().message()).find(needle) != std::string::npos);
  };
  refused({}, "DOS header magic");
  Bytes b = good.bytes;
  b[0] = 'X';
  refused(b, "no MZ header");
  b = good.bytes;
  Put32(b, 0x3c, 0xfffffff0);
  refused(b, "PE header");
  b = good.bytes;
  b[kPe] = 'X';
  refused(b, "PE\\0\\0");
  b = good.bytes;
  Put16(b, good.coff + 20, 0x107);
  refused(b, "optional header magic 0x0107");
  b = good.bytes;
  Put16(b, good.coff + 2, 97);
  refused(b, "PE section count 97 exceeds the limit of 96");
  b = good.bytes;
  Put16(b, good.coff + 2, 96);  // section table runs past the file
  b.resize(0x600);
  refused(b, "section headers run past");
  b = good.bytes;
  Put32(b, good.coff + 20 + 108, 17);
  refused(b, "NumberOfRvaAndSizes 17");
  b = good.bytes;
  Put32(b, good.coff + 20 + 60, 0x100);  // SizeOfHeaders inside the directories
  refused(b, "SizeOfHeaders 256");
  b = good.bytes;
  Put32(b, good.section_table + 20, 0xfffffe00);  // PointerToRawData + size overflows 32 bits
  refused(b, "section 0 raw data");
  b = good.bytes;
  Put32(b, good.section_table + 16, 0xffffffff);
  refused(b, "section 0 raw data");
  b = good.bytes;
  Put32(b, good.cert_entry + 4, 0x10);  // table claims bytes that do not exist
  b.resize(0x808);
  refused(b, "Certificate Table size 16");
}

TEST_CASE(
    "authenticode of every truncation of a signed image is an error or a digest, "
    "never a crash",
    "[pe]") {
  Spec spec;
  spec.trailing = 0x20;
  spec.cert_size = 0x40;
  const Image img = Make(spec);
  size_t refused = 0;
  for (size_t n = 0; n < img.bytes.size(); ++n) {
    const Bytes cut = Slice(img.bytes, 0, n);
    absl::StatusOr<crypto::Digest> d = AuthenticodeDigest(HashAlg::kSha256, cut);
    if (!d.ok()) {
      ++refused;
      CHECK(d.status().code() == absl::StatusCode::kInvalidArgument);
    }
  }
  // Everything shorter than headers + sections is refused.
  CHECK(refused >= 0x800);
}

TEST_CASE("authenticode survives every byte of the headers set to extreme values", "[pe]") {
  Spec spec;
  spec.cert_size = 0x40;
  const Image img = Make(spec);
  const size_t headers_end = img.section_table + 40 * spec.sections.size();
  for (size_t off = 0; off < headers_end; ++off) {
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0x7f}, uint8_t{0xff}}) {
      Bytes b = img.bytes;
      b[off] = v;
      absl::StatusOr<std::vector<ByteRange>> ranges = AuthenticodeRanges(b);
      if (!ranges.ok()) continue;
      for (const ByteRange& r : *ranges) {
        REQUIRE(r.offset <= b.size());
        REQUIRE(r.size <= b.size() - r.offset);
      }
    }
  }
}

}  // namespace
}  // namespace bootgate::pe
