#include "swtpm-fixtures/generator/pe.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "swtpm-fixtures/generator/content.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::fixtures {
namespace {

constexpr uint32_t kPeOffset = 0x80;
constexpr uint32_t kFileAlignment = 0x200;
constexpr uint32_t kSectionAlignment = 0x1000;
constexpr uint16_t kOptionalHeaderSize = 240;  // PE32+ with 16 data directories
constexpr uint32_t kCertTableDirectory = 4;

size_t AlignUp(size_t v, size_t a) { return (v + a - 1) / a * a; }

uint32_t Rd32(std::span<const uint8_t> b, size_t off) {
  return b[off] | b[off + 1] << 8 | b[off + 2] << 16 | static_cast<uint32_t>(b[off + 3]) << 24;
}
uint16_t Rd16(std::span<const uint8_t> b, size_t off) {
  return static_cast<uint16_t>(b[off] | b[off + 1] << 8);
}

struct Section {
  const char* name;
  Bytes raw;
  uint32_t characteristics;
};

}  // namespace

Bytes MakePeImage(const PeOptions& o) {
  std::vector<Section> sections = {
      {".text", DeriveBytes(o.seed, std::string(o.label) + "/.text", o.text_size), 0x60000020},
      {".data", DeriveBytes(o.seed, std::string(o.label) + "/.data", o.data_size), 0xc0000040},
  };
  const uint32_t headers_size = static_cast<uint32_t>(
      AlignUp(kPeOffset + 4 + 20 + kOptionalHeaderSize + 40 * sections.size(), kFileAlignment));
  uint32_t image_size = kSectionAlignment;
  for (const Section& s : sections) image_size += AlignUp(s.raw.size(), kSectionAlignment);

  ByteSink pe;
  pe.Ascii("MZ");
  pe.Zeros(0x3c - 2);
  pe.U32(kPeOffset);  // e_lfanew
  pe.Zeros(kPeOffset - pe.size());
  pe.Ascii(std::string_view("PE\0\0", 4));
  // COFF file header
  pe.U16(0x8664);
  pe.U16(static_cast<uint16_t>(sections.size()));
  pe.U32(0);  // TimeDateStamp: none, for reproducible bytes
  pe.U32(0);
  pe.U32(0);
  pe.U16(kOptionalHeaderSize);
  pe.U16(0x0022);  // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE
  // Optional header (PE32+)
  pe.U16(0x020b);
  pe.U8(2);
  pe.U8(38);
  pe.U32(static_cast<uint32_t>(AlignUp(sections[0].raw.size(), kFileAlignment)));
  pe.U32(static_cast<uint32_t>(AlignUp(sections[1].raw.size(), kFileAlignment)));
  pe.U32(0);
  pe.U32(kSectionAlignment);  // AddressOfEntryPoint: start of .text
  pe.U32(kSectionAlignment);  // BaseOfCode
  pe.U64(0);                  // ImageBase (EFI images are relocated anyway)
  pe.U32(kSectionAlignment);
  pe.U32(kFileAlignment);
  for (int i = 0; i < 6; ++i) pe.U16(0);  // OS, image, subsystem versions
  pe.U32(0);
  pe.U32(image_size);
  pe.U32(headers_size);
  pe.U32(0);       // CheckSum, excluded from the Authenticode digest
  pe.U16(10);      // IMAGE_SUBSYSTEM_EFI_APPLICATION
  pe.U16(0x0160);  // HIGH_ENTROPY_VA | DYNAMIC_BASE | NX_COMPAT
  pe.U64(0x100000);
  pe.U64(0x1000);
  pe.U64(0x100000);
  pe.U64(0x1000);
  pe.U32(0);
  pe.U32(16);  // NumberOfRvaAndSizes
  const size_t directories = pe.size();
  pe.Zeros(16 * 8);
  // Section table
  uint32_t rva = kSectionAlignment;
  uint32_t file_offset = headers_size;
  for (const Section& s : sections) {
    std::string_view name(s.name);
    pe.Ascii(name);
    pe.Zeros(8 - name.size());
    pe.U32(static_cast<uint32_t>(s.raw.size()));
    pe.U32(rva);
    const uint32_t raw_size = static_cast<uint32_t>(AlignUp(s.raw.size(), kFileAlignment));
    pe.U32(raw_size);
    pe.U32(file_offset);
    pe.Zeros(12);
    pe.U32(s.characteristics);
    rva += static_cast<uint32_t>(AlignUp(s.raw.size(), kSectionAlignment));
    file_offset += raw_size;
  }
  pe.Zeros(headers_size - pe.size());
  for (const Section& s : sections) {
    pe.Append(s.raw);
    pe.Zeros(AlignUp(s.raw.size(), kFileAlignment) - s.raw.size());
  }
  if (!o.signature.empty()) {
    const uint32_t table_offset = static_cast<uint32_t>(pe.size());
    const uint32_t length = static_cast<uint32_t>(8 + o.signature.size());
    const uint32_t padded = static_cast<uint32_t>(AlignUp(length, 8));
    pe.U32(length);
    pe.U16(0x0200);  // WIN_CERT_REVISION_2_0
    pe.U16(0x0002);  // WIN_CERT_TYPE_PKCS_SIGNED_DATA
    pe.Append(o.signature);
    pe.Zeros(padded - length);
    PatchLe(pe.bytes(), directories + kCertTableDirectory * 8, table_offset, 4);
    PatchLe(pe.bytes(), directories + kCertTableDirectory * 8 + 4, padded, 4);
  }
  return pe.Take();
}

absl::StatusOr<crypto::Digest> AuthenticodeDigest(crypto::HashAlg alg,
                                                  std::span<const uint8_t> image) {
  auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("not a usable PE image: ", what));
  };
  if (image.size() < 0x40 || image[0] != 'M' || image[1] != 'Z') return bad("no MZ header");
  const size_t pe = Rd32(image, 0x3c);
  if (pe > image.size() || image.size() - pe < 24 + 2) return bad("PE header outside the file");
  if (Rd32(image, pe) != 0x00004550) return bad("no PE signature");
  const size_t num_sections = Rd16(image, pe + 6);
  const size_t opt = pe + 24;
  const size_t opt_size = Rd16(image, pe + 20);
  const uint16_t magic = Rd16(image, opt);
  size_t rva_count_off, dirs_off;
  if (magic == 0x020b) {
    rva_count_off = opt + 108;
    dirs_off = opt + 112;
  } else if (magic == 0x010b) {
    rva_count_off = opt + 92;
    dirs_off = opt + 96;
  } else {
    return bad("unknown optional header magic");
  }
  if (opt_size < dirs_off - opt || image.size() - opt < opt_size) {
    return bad("optional header outside the file");
  }
  const size_t checksum_off = opt + 64;
  const size_t headers_size = Rd32(image, opt + 60);
  const size_t rva_count = Rd32(image, rva_count_off);
  const bool has_cert_dir =
      rva_count > kCertTableDirectory && dirs_off + (kCertTableDirectory + 1) * 8 <= opt + opt_size;
  const size_t cert_dir_off = dirs_off + kCertTableDirectory * 8;
  const size_t cert_size = has_cert_dir ? Rd32(image, cert_dir_off + 4) : 0;
  const size_t sections_off = opt + opt_size;
  if (headers_size > image.size() || headers_size < sections_off ||
      num_sections > (image.size() - sections_off) / 40) {
    return bad("section table outside the file");
  }

  const EVP_MD* md = EVP_get_digestbyname(std::string(crypto::HashAlgName(alg)).c_str());
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (md == nullptr || ctx == nullptr || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    return absl::InternalError("cannot start the image digest");
  }
  bool ok = true;
  auto update = [&](size_t from, size_t to) {
    if (to > from) ok &= EVP_DigestUpdate(ctx.get(), image.data() + from, to - from) == 1;
  };
  if (has_cert_dir) {
    update(0, checksum_off);
    update(checksum_off + 4, cert_dir_off);
    update(cert_dir_off + 8, headers_size);
  } else {
    update(0, checksum_off);
    update(checksum_off + 4, headers_size);
  }
  struct Raw {
    size_t offset, size;
  };
  std::vector<Raw> raws;
  for (size_t i = 0; i < num_sections; ++i) {
    const size_t h = sections_off + 40 * i;
    Raw r{Rd32(image, h + 20), Rd32(image, h + 16)};
    if (r.size == 0) continue;
    if (r.offset > image.size() || r.size > image.size() - r.offset) {
      return bad(absl::StrCat("section ", i, " outside the file"));
    }
    raws.push_back(r);
  }
  std::sort(raws.begin(), raws.end(),
            [](const Raw& a, const Raw& b) { return a.offset < b.offset; });
  size_t hashed = headers_size;
  for (const Raw& r : raws) {
    update(r.offset, r.offset + r.size);
    hashed += r.size;
  }
  if (image.size() > hashed) {
    if (cert_size > image.size() - hashed) return bad("certificate table outside the file");
    update(hashed, image.size() - cert_size);
  }
  crypto::Digest out(EVP_MD_get_size(md));
  unsigned int len = 0;
  if (!ok || EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    return absl::InternalError("image digest failed");
  }
  return out;
}

}  // namespace bootgate::fixtures
