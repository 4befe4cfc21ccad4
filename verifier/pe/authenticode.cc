#include "verifier/pe/authenticode.h"

#include <openssl/evp.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "verifier/bytes/reader.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::pe {
namespace {

using bytes::ByteSpan;
using bytes::Reader;

constexpr uint16_t kPe32Magic = 0x010b;
constexpr uint16_t kPe32PlusMagic = 0x020b;
constexpr uint32_t kPeSignature = 0x00004550;  // "PE\0\0"
constexpr uint32_t kCertTableIndex = 4;        // IMAGE_DIRECTORY_ENTRY_SECURITY
constexpr uint64_t kCoffHeaderSize = 20;
constexpr uint64_t kSectionHeaderSize = 40;
constexpr uint64_t kDataDirectorySize = 8;

// A reader positioned at `offset` of `image` (offsets in errors stay file offsets).
absl::StatusOr<Reader> At(ByteSpan image, uint64_t offset, absl::string_view what) {
  Reader r(image);
  if (offset > image.size()) {
    return r.Error(absl::StrCat(what, " at offset ", offset, " lies outside the ", image.size(),
                                "-byte file"));
  }
  RETURN_IF_ERROR(r.Skip(static_cast<size_t>(offset), what));
  return r;
}

absl::StatusOr<uint16_t> U16At(ByteSpan image, uint64_t offset, absl::string_view what) {
  ASSIGN_OR_RETURN(Reader r, At(image, offset, what));
  return r.U16Le(what);
}

absl::StatusOr<uint32_t> U32At(ByteSpan image, uint64_t offset, absl::string_view what) {
  ASSIGN_OR_RETURN(Reader r, At(image, offset, what));
  return r.U32Le(what);
}

absl::Status Bad(uint64_t offset, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("offset ", offset, ": not a usable PE image: ", message));
}

struct Section {
  uint64_t offset;
  uint64_t size;
};

}  // namespace

absl::StatusOr<std::vector<ByteRange>> AuthenticodeRanges(ByteSpan image) {
  const uint64_t file_size = image.size();
  Reader dos(image);
  ASSIGN_OR_RETURN(ByteSpan mz, dos.Bytes(2, "DOS header magic"));
  if (mz[0] != 'M' || mz[1] != 'Z') return Bad(0, "no MZ header");
  ASSIGN_OR_RETURN(const uint32_t pe_offset, U32At(image, 0x3c, "e_lfanew"));

  ASSIGN_OR_RETURN(Reader coff, At(image, pe_offset, "PE header"));
  ASSIGN_OR_RETURN(const uint32_t signature, coff.U32Le("PE signature"));
  if (signature != kPeSignature) return Bad(pe_offset, "no PE\\0\\0 signature");
  RETURN_IF_ERROR(coff.Skip(2, "COFF Machine"));
  ASSIGN_OR_RETURN(const uint16_t section_count, coff.U16Le("COFF NumberOfSections"));
  RETURN_IF_ERROR(coff.Skip(12, "COFF header"));
  ASSIGN_OR_RETURN(const uint16_t optional_size, coff.U16Le("COFF SizeOfOptionalHeader"));
  RETURN_IF_ERROR(coff.Skip(2, "COFF Characteristics"));
  RETURN_IF_ERROR(bytes::CheckCount(section_count, kMaxSections, "PE section"));

  const uint64_t optional = uint64_t{pe_offset} + 4 + kCoffHeaderSize;
  ASSIGN_OR_RETURN(const uint16_t magic, U16At(image, optional, "optional header magic"));
  uint64_t rva_count_offset = 0;
  if (magic == kPe32PlusMagic) {
    rva_count_offset = optional + 108;
  } else if (magic == kPe32Magic) {
    rva_count_offset = optional + 92;
  } else {
    return Bad(optional,
               absl::StrCat("unknown optional header magic 0x", absl::Hex(magic, absl::kZeroPad4)));
  }
  const uint64_t directories = rva_count_offset + 4;
  const uint64_t optional_end = optional + optional_size;
  if (optional_end < directories) {
    return Bad(optional, absl::StrCat("SizeOfOptionalHeader ", optional_size,
                                      " ends before the data directories"));
  }
  const uint64_t checksum = optional + 64;
  ASSIGN_OR_RETURN(const uint32_t headers_size, U32At(image, optional + 60, "SizeOfHeaders"));
  ASSIGN_OR_RETURN(const uint32_t rva_count, U32At(image, rva_count_offset, "NumberOfRvaAndSizes"));
  if (rva_count > (optional_end - directories) / kDataDirectorySize) {
    return Bad(rva_count_offset,
               absl::StrCat("NumberOfRvaAndSizes ", rva_count,
                            " does not fit in SizeOfOptionalHeader ", optional_size));
  }
  // Without a Certificate Table entry there is nothing to skip and no table to exclude.
  const bool has_cert_entry = rva_count > kCertTableIndex;
  const uint64_t cert_entry = directories + kCertTableIndex * kDataDirectorySize;
  uint32_t cert_size = 0;
  if (has_cert_entry) {
    ASSIGN_OR_RETURN(cert_size, U32At(image, cert_entry + 4, "Certificate Table size"));
  }

  const uint64_t section_table = optional_end;
  const uint64_t section_table_end = section_table + section_count * kSectionHeaderSize;
  if (section_table_end > file_size) {
    return Bad(section_table, absl::StrCat(section_count, " section headers run past the ",
                                           file_size, "-byte file"));
  }
  const uint64_t skipped_end = has_cert_entry ? cert_entry + kDataDirectorySize : checksum + 4;
  if (headers_size < skipped_end || headers_size > file_size) {
    return Bad(optional + 60, absl::StrCat("SizeOfHeaders ", headers_size,
                                           " does not cover the headers or exceeds the ", file_size,
                                           "-byte file"));
  }

  std::vector<ByteRange> ranges;
  auto add = [&ranges](uint64_t from, uint64_t to) {
    if (to > from) ranges.push_back({from, to - from});
  };
  add(0, checksum);
  if (has_cert_entry) {
    add(checksum + 4, cert_entry);
    add(cert_entry + kDataDirectorySize, headers_size);
  } else {
    add(checksum + 4, headers_size);
  }

  std::vector<Section> sections;
  sections.reserve(section_count);
  for (uint64_t i = 0; i < section_count; ++i) {
    ASSIGN_OR_RETURN(Reader h, At(image, section_table + i * kSectionHeaderSize, "section header"));
    RETURN_IF_ERROR(h.Skip(16, "section name and sizes"));
    ASSIGN_OR_RETURN(const uint32_t raw_size, h.U32Le("SizeOfRawData"));
    ASSIGN_OR_RETURN(const uint32_t raw_pointer, h.U32Le("PointerToRawData"));
    if (raw_size == 0) continue;
    if (raw_pointer > file_size || raw_size > file_size - raw_pointer) {
      return Bad(section_table + i * kSectionHeaderSize + 16,
                 absl::StrCat("section ", i, " raw data [", raw_pointer, ", +", raw_size,
                              ") lies outside the ", file_size, "-byte file"));
    }
    sections.push_back({raw_pointer, raw_size});
  }
  std::stable_sort(sections.begin(), sections.end(),
                   [](const Section& a, const Section& b) { return a.offset < b.offset; });
  // SUM_OF_BYTES_HASHED in the specification: at most 96 sections of at most 4 GiB, no
  // overflow in 64 bits.
  uint64_t hashed = headers_size;
  for (const Section& s : sections) {
    add(s.offset, s.offset + s.size);
    hashed += s.size;
  }
  if (file_size > hashed) {
    if (cert_size > file_size - hashed) {
      return Bad(cert_entry,
                 absl::StrCat("Certificate Table size ", cert_size, " is larger than the ",
                              file_size - hashed, " bytes after the sections"));
    }
    add(hashed, file_size - cert_size);
  }
  return ranges;
}

absl::StatusOr<crypto::Digest> AuthenticodeDigest(crypto::HashAlg alg, ByteSpan image) {
  ASSIGN_OR_RETURN(const std::vector<ByteRange> ranges, AuthenticodeRanges(image));
  const EVP_MD* md = crypto::EvpMd(alg);
  if (md == nullptr) {
    return absl::UnimplementedError(absl::StrCat(crypto::HashAlgName(alg), " is not available"));
  }
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    return absl::InternalError("cannot start the image digest");
  }
  for (const ByteRange& r : ranges) {
    // AuthenticodeRanges checked every range against the file.
    if (EVP_DigestUpdate(ctx.get(), image.data() + r.offset, r.size) != 1) {
      return absl::InternalError("image digest update failed");
    }
  }
  crypto::Digest out(crypto::DigestSize(alg));
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    return absl::InternalError("image digest failed");
  }
  return out;
}

}  // namespace bootgate::pe
