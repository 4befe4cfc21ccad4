#include "verifier/eventlog/signature_list.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/cache/bounded_cache.h"
#include "verifier/crypto/hash.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::eventlog {
namespace {

// EFI_SIGNATURE_LIST header: SignatureType (16) + three UINT32.
constexpr uint32_t kListHeaderSize = 28;
constexpr uint32_t kOwnerSize = 16;

std::string NameToString(X509_NAME* name) {
  if (name == nullptr) return "";
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return "";
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    return "";
  }
  char* text = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &text);
  if (len <= 0 || text == nullptr) return "";
  return std::string(text, static_cast<size_t>(len));
}

std::string CommonName(X509_NAME* name) {
  if (name == nullptr) return "";
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return "";
  ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  if (value == nullptr) return "";
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, value);
  if (len < 0 || utf8 == nullptr) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

// Parses `der` with OpenSSL: most of the cost is OpenSSL 3 decoding the public key, which
// these facts do not even use.
std::optional<X509Summary> ParseX509Summary(bytes::ByteSpan der, std::string fingerprint) {
  const unsigned char* p = der.data();
  crypto::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr) return std::nullopt;
  // Bytes after the certificate would be unaccounted for: refuse rather than hide them.
  if (p != der.data() + der.size()) return std::nullopt;
  X509Summary summary;
  summary.sha256_fingerprint = std::move(fingerprint);
  summary.subject = NameToString(X509_get_subject_name(cert.get()));
  summary.issuer = NameToString(X509_get_issuer_name(cert.get()));
  summary.common_name = CommonName(X509_get_subject_name(cert.get()));
  return summary;
}

}  // namespace

std::optional<X509Summary> SummarizeX509(bytes::ByteSpan der) {
  if (der.empty() || der.size() > static_cast<size_t>(INT32_MAX)) return std::nullopt;
  // A fleet's PK, KEK and db hold the same few certificates: each is parsed once per process,
  // keyed by all its bytes (so a key is its content; hashing the key for the map is cheap,
  // unlike the SHA-256 fingerprint, computed once on a miss). Bounded: 1024 certificates of
  // at most 16 KiB (larger ones, which no real key store holds, are parsed every time).
  constexpr size_t kMaxCachedDer = 16 * 1024;
  auto parse = [der]() -> std::optional<X509Summary> {
    auto fingerprint = crypto::Hash(crypto::HashAlg::kSha256, der);
    if (!fingerprint.ok()) return std::nullopt;
    return ParseX509Summary(der, bytes::ToHex(*fingerprint));
  };
  if (der.size() > kMaxCachedDer) return parse();
  static cache::BoundedCache<std::string, std::optional<X509Summary>>* const cache =
      new cache::BoundedCache<std::string, std::optional<X509Summary>>(1024);
  return cache->GetOrCompute(
      absl::string_view(reinterpret_cast<const char*>(der.data()), der.size()), parse);
}

std::string SignatureTypeName(const Guid& type) {
  if (type == kEfiCertX509Guid) return "EFI_CERT_X509_GUID";
  if (type == kEfiCertSha256Guid) return "EFI_CERT_SHA256_GUID";
  if (type == kEfiCertRsa2048Guid) return "EFI_CERT_RSA2048_GUID";
  if (type == kEfiCertSha1Guid) return "EFI_CERT_SHA1_GUID";
  if (type == kEfiCertSha384Guid) return "EFI_CERT_SHA384_GUID";
  if (type == kEfiCertSha512Guid) return "EFI_CERT_SHA512_GUID";
  if (type == kEfiCertX509Sha256Guid) return "EFI_CERT_X509_SHA256_GUID";
  if (type == kEfiCertX509Sha384Guid) return "EFI_CERT_X509_SHA384_GUID";
  if (type == kEfiCertX509Sha512Guid) return "EFI_CERT_X509_SHA512_GUID";
  return type.ToString();
}

absl::StatusOr<std::vector<SignatureList>> ParseSignatureLists(bytes::ByteSpan data,
                                                               size_t base_offset) {
  std::vector<SignatureList> lists;
  bytes::Reader reader(data, base_offset);
  uint64_t total_entries = 0;
  while (!reader.empty()) {
    const size_t list_start = reader.offset();
    SignatureList list;
    ASSIGN_OR_RETURN(list.type, ReadGuid(reader, "EFI_SIGNATURE_LIST SignatureType"));
    ASSIGN_OR_RETURN(list.list_size, reader.U32Le("SignatureListSize"));
    ASSIGN_OR_RETURN(list.header_size, reader.U32Le("SignatureHeaderSize"));
    ASSIGN_OR_RETURN(list.signature_size, reader.U32Le("SignatureSize"));
    const uint64_t min_size = uint64_t{kListHeaderSize} + list.header_size;
    if (list.list_size < min_size) {
      return absl::InvalidArgumentError(
          absl::StrFormat("offset %u: SignatureListSize %u is smaller than its header (%u bytes)",
                          list_start, list.list_size, min_size));
    }
    const uint64_t body_size = list.list_size - kListHeaderSize;
    if (body_size > reader.remaining()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("offset %u: SignatureListSize %u goes past the end of the data",
                          list_start, list.list_size));
    }
    ASSIGN_OR_RETURN(bytes::Reader body, reader.Sub(body_size, "EFI_SIGNATURE_LIST"));
    ASSIGN_OR_RETURN(bytes::ByteSpan header, body.Bytes(list.header_size, "SignatureHeader"));
    list.header.assign(header.begin(), header.end());
    if (list.signature_size < kOwnerSize) {
      return absl::InvalidArgumentError(
          absl::StrFormat("offset %u: SignatureSize %u is smaller than an owner GUID", list_start,
                          list.signature_size));
    }
    if (body.remaining() % list.signature_size != 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "offset %u: %u bytes of signatures are not a multiple of SignatureSize %u", list_start,
          body.remaining(), list.signature_size));
    }
    const uint64_t count = body.remaining() / list.signature_size;
    total_entries += count;
    RETURN_IF_ERROR(bytes::CheckCount(total_entries, kMaxSignatureEntries, "signature entry"));
    list.entries.reserve(count);
    const bool x509 = list.type == kEfiCertX509Guid;
    for (uint64_t i = 0; i < count; ++i) {
      SignatureEntry entry;
      ASSIGN_OR_RETURN(entry.owner, ReadGuid(body, "SignatureOwner"));
      ASSIGN_OR_RETURN(bytes::ByteSpan value,
                       body.Bytes(list.signature_size - kOwnerSize, "SignatureData"));
      entry.data.assign(value.begin(), value.end());
      if (x509) entry.x509 = SummarizeX509(value);
      list.entries.push_back(std::move(entry));
    }
    lists.push_back(std::move(list));
  }
  return lists;
}

std::string SummarizeSignatureLists(const std::vector<SignatureList>& lists) {
  size_t certs = 0;
  std::vector<std::string> names;
  std::map<std::string, size_t> others;  // by short type name, ordered for stable output
  for (const SignatureList& list : lists) {
    if (list.type == kEfiCertX509Guid) {
      for (const SignatureEntry& entry : list.entries) {
        ++certs;
        if (!entry.x509.has_value()) {
          names.push_back("unparsable");
        } else if (!entry.x509->common_name.empty()) {
          names.push_back(absl::StrCat("CN=", entry.x509->common_name));
        } else {
          names.push_back(entry.x509->subject);
        }
      }
      continue;
    }
    std::string name = SignatureTypeName(list.type);
    if (absl::StartsWith(name, "EFI_CERT_") && absl::EndsWith(name, "_GUID")) {
      name = name.substr(9, name.size() - 14);
    }
    others[name] += list.entries.size();
  }
  std::string out = absl::StrCat(certs, " X509 cert", certs == 1 ? "" : "s");
  if (!names.empty()) absl::StrAppend(&out, " (", absl::StrJoin(names, "; "), ")");
  if (others.find("SHA256") == others.end()) others["SHA256"] = 0;
  for (const auto& [name, count] : others) {
    const bool hash = absl::StartsWith(name, "SHA") || absl::StartsWith(name, "X509_SHA");
    absl::StrAppend(&out, ", ", count, " ", name, hash ? " hash" : " entr",
                    hash ? (count == 1 ? "" : "es") : (count == 1 ? "y" : "ies"));
  }
  return out;
}

}  // namespace bootgate::eventlog
