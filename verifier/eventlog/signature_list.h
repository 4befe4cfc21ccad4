// EFI_SIGNATURE_LIST parsing (UEFI spec 2.9 section 32.4.1): the contents of PK, KEK, db,
// dbx and shim's MokList(RT). X.509 entries are parsed with OpenSSL for display and policy
// (fingerprint, subject, issuer) only: nothing here trusts or verifies a certificate.
#ifndef BOOTGATE_VERIFIER_EVENTLOG_SIGNATURE_LIST_H_
#define BOOTGATE_VERIFIER_EVENTLOG_SIGNATURE_LIST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/bytes/reader.h"
#include "verifier/eventlog/guid.h"

namespace bootgate::eventlog {

// Facts read from a DER certificate. Nothing is verified.
struct X509Summary {
  std::string sha256_fingerprint;  // lowercase hex of SHA-256 over the DER bytes
  std::string subject;             // RFC 2253 one-line form, e.g. "CN=Test UEFI CA,O=Example"
  std::string issuer;
  std::string common_name;  // subject CN, empty when there is none
};

// One EFI_SIGNATURE_DATA.
struct SignatureEntry {
  Guid owner;                       // SignatureOwner
  std::vector<uint8_t> data;        // SignatureData (DER certificate, or a hash)
  std::optional<X509Summary> x509;  // set for EFI_CERT_X509_GUID entries that parse as DER
};

// One EFI_SIGNATURE_LIST.
struct SignatureList {
  Guid type;                    // SignatureType
  uint32_t list_size = 0;       // SignatureListSize
  uint32_t header_size = 0;     // SignatureHeaderSize
  uint32_t signature_size = 0;  // SignatureSize
  std::vector<uint8_t> header;  // the SignatureHeader (almost always empty)
  std::vector<SignatureEntry> entries;
};

// At most this many entries over all lists of one variable (a real dbx has ~400).
inline constexpr uint64_t kMaxSignatureEntries = 100000;

// Parses a concatenation of EFI_SIGNATURE_LISTs filling `data` exactly (an empty input is
// zero lists). InvalidArgument, naming the offset, when: a header is truncated;
// SignatureListSize < 28 + SignatureHeaderSize or beyond the data; SignatureSize < 16
// (an owner GUID) or does not divide the space left after the header; more than
// kMaxSignatureEntries entries. `base_offset` shifts offsets in error messages.
absl::StatusOr<std::vector<SignatureList>> ParseSignatureLists(bytes::ByteSpan data,
                                                               size_t base_offset = 0);

// Returns "EFI_CERT_X509_GUID", "EFI_CERT_SHA256_GUID", ... or the GUID text when unknown.
std::string SignatureTypeName(const Guid& type);

// Returns the facts of a DER certificate, or nullopt when OpenSSL cannot parse it (or
// trailing bytes follow the certificate).
std::optional<X509Summary> SummarizeX509(bytes::ByteSpan der);

// One line: "2 X509 certs (CN=Test UEFI CA; CN=Other), 3 SHA256 hashes".
std::string SummarizeSignatureLists(const std::vector<SignatureList>& lists);

}  // namespace bootgate::eventlog

#endif  // BOOTGATE_VERIFIER_EVENTLOG_SIGNATURE_LIST_H_
