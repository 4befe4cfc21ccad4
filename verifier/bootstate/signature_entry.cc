#include "verifier/bootstate/signature_entry.h"

#include "verifier/bytes/hex.h"
#include "verifier/crypto/hash.h"

namespace bootgate::bootstate {
using crypto::Sha256Hex;

SignatureEntry ToSignatureEntry(const eventlog::Guid& list_type,
                                const eventlog::SignatureEntry& entry, bool has_owner) {
  SignatureEntry out;
  if (has_owner) out.owner = entry.owner.ToString();
  if (list_type == eventlog::kEfiCertX509Guid) {
    out.kind = SignatureEntry::Kind::kX509;
    out.sha256 = entry.x509 ? entry.x509->sha256_fingerprint : Sha256Hex(entry.data);
    if (entry.x509) out.subject = entry.x509->subject;
  } else if (list_type == eventlog::kEfiCertSha256Guid &&
             entry.data.size() == crypto::DigestSize(crypto::HashAlg::kSha256)) {
    out.kind = SignatureEntry::Kind::kSha256;
    out.sha256 = bytes::ToHex(entry.data);
  } else {
    out.kind = SignatureEntry::Kind::kOther;
    out.sha256 = Sha256Hex(entry.data);
  }
  return out;
}

std::vector<SignatureEntry> ToSignatureEntries(const std::vector<eventlog::SignatureList>& lists) {
  std::vector<SignatureEntry> out;
  for (const eventlog::SignatureList& list : lists) {
    for (const eventlog::SignatureEntry& entry : list.entries) {
      out.push_back(ToSignatureEntry(list.type, entry));
    }
  }
  return out;
}

}  // namespace bootgate::bootstate
