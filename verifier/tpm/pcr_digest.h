// Checking a quote's pcrDigest against PCR values (read from a tpm2-tools PCR file or
// produced by replaying an event log).
#ifndef BOOTGATE_VERIFIER_TPM_PCR_DIGEST_H_
#define BOOTGATE_VERIFIER_TPM_PCR_DIGEST_H_

#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "verifier/crypto/hash.h"
#include "verifier/crypto/pcr_values.h"
#include "verifier/tpm/quote.h"

namespace bootgate::tpm {

// Returns H_alg(value of each selected PCR, banks in selection order, PCRs ascending): what
// the TPM puts in a quote's pcrDigest. Errors: QuoteRejection::kPcrValuesMissing naming every
// selected PCR absent from `values` ("supplied PCR values lack sha256:8,9, which the quote
// covers"); InvalidArgument if a value has the wrong size for its bank.
absl::StatusOr<crypto::Digest> ComputePcrDigest(crypto::HashAlg alg, const PcrSelection& selection,
                                                const crypto::PcrValues& values);

// Checks that `values` hash to `quote.pcr_digest` under `alg` (the signature's hash).
// Errors: those of ComputePcrDigest, and QuoteRejection::kPcrDigestMismatch with both digests
// and the selection ("PCR digest mismatch: quote covers sha256:0,1,2 and the supplied values
// hash to 9f..., quote says 41...").
absl::Status CheckPcrDigest(const Quote& quote, crypto::HashAlg alg,
                            const crypto::PcrValues& values);

}  // namespace bootgate::tpm

#endif  // BOOTGATE_VERIFIER_TPM_PCR_DIGEST_H_
