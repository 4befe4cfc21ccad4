// Conversion of decoded EFI_SIGNATURE_DATA (eventlog/signature_list.h) into the BootState's
// SignatureEntry: what a baseline compares (a SHA-256 per entry) plus display fields.
#ifndef BOOTGATE_VERIFIER_BOOTSTATE_SIGNATURE_ENTRY_H_
#define BOOTGATE_VERIFIER_BOOTSTATE_SIGNATURE_ENTRY_H_

#include <vector>

#include "verifier/bootstate/boot_state.h"
#include "verifier/eventlog/guid.h"
#include "verifier/eventlog/signature_list.h"

namespace bootgate::bootstate {

// Returns the entry of one EFI_SIGNATURE_DATA of a list of type `list_type`:
//   - EFI_CERT_X509_GUID: kX509, sha256 = SHA-256 of the DER bytes (the certificate
//     fingerprint, whether or not OpenSSL could parse it), subject when it parsed;
//   - EFI_CERT_SHA256_GUID with 32 bytes of data: kSha256, sha256 = the hash itself;
//   - anything else: kOther, sha256 = SHA-256 of the signature data (still comparable).
// `owner` is the owner GUID text; empty when `has_owner` is false (shim's bare "Shim" cert).
SignatureEntry ToSignatureEntry(const eventlog::Guid& list_type,
                                const eventlog::SignatureEntry& entry, bool has_owner = true);

// Every entry of every list, in order.
std::vector<SignatureEntry> ToSignatureEntries(const std::vector<eventlog::SignatureList>& lists);

}  // namespace bootgate::bootstate

#endif  // BOOTGATE_VERIFIER_BOOTSTATE_SIGNATURE_ENTRY_H_
