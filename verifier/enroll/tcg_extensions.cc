#include "verifier/enroll/tcg_extensions.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace bootgate::enroll {
namespace {

constexpr absl::string_view kSubjectDirectoryAttributes = "2.5.29.9";
constexpr absl::string_view kTcgArc = "2.23.133.";

std::string Oid(const ASN1_OBJECT* obj) {
  char buf[128];
  const int n = obj == nullptr ? -1 : OBJ_obj2txt(buf, sizeof(buf), obj, /*no_name=*/1);
  if (n <= 0) return "(unreadable OID)";
  return std::string(buf, std::min<size_t>(static_cast<size_t>(n), sizeof(buf) - 1));
}

// SubjectDirectoryAttributes ::= SEQUENCE SIZE (1..MAX) OF Attribute (RFC 5280, 4.2.1.8),
// each attribute's type in the TCG arc. Parsed with OpenSSL's bounded DER decoders.
bool OnlyTcgAttributes(X509_EXTENSION* ext) {
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
  const unsigned char* p = ASN1_STRING_get0_data(value);
  const long len = ASN1_STRING_length(value);
  if (p == nullptr || len <= 0) return false;
  const unsigned char* const end = p + len;
  long content_len = 0;
  int tag = 0;
  int cls = 0;
  const int r = ASN1_get_object(&p, &content_len, &tag, &cls, len);
  // 0x80: error; 0x01: indefinite length (not DER); the sequence must fill the extension.
  if ((r & 0x80) != 0 || (r & 0x01) != 0 || (r & V_ASN1_CONSTRUCTED) == 0 ||
      tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL || content_len <= 0 ||
      content_len != end - p) {
    return false;
  }
  while (p < end) {
    X509_ATTRIBUTE* attr = d2i_X509_ATTRIBUTE(nullptr, &p, end - p);
    if (attr == nullptr) return false;
    const bool tcg = absl::StartsWith(Oid(X509_ATTRIBUTE_get0_object(attr)), kTcgArc);
    X509_ATTRIBUTE_free(attr);
    if (!tcg) return false;
  }
  return p == end;
}

}  // namespace

absl::Status CheckCriticalExtensions(X509* cert) {
  const int count = X509_get_ext_count(cert);
  for (int i = 0; i < count; ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    if (ext == nullptr || X509_EXTENSION_get_critical(ext) == 0 ||
        X509_supported_extension(ext) == 1) {
      continue;
    }
    const std::string oid = Oid(X509_EXTENSION_get_object(ext));
    if (oid == kSubjectDirectoryAttributes) {
      if (OnlyTcgAttributes(ext)) continue;
      return absl::PermissionDeniedError(
          "critical subjectDirectoryAttributes (2.5.29.9) holds attributes other than the TCG "
          "ones (2.23.133.*)");
    }
    return absl::PermissionDeniedError(absl::StrCat("unhandled critical extension ", oid));
  }
  return absl::OkStatus();
}

}  // namespace bootgate::enroll
