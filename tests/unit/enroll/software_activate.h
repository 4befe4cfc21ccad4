// TPM2_ActivateCredential done in software with the EK's private key: the TPM's half of
// credential activation (TPM 2.0 Part 1, 24), for the tests of verifier/enroll (unit tests
// and tests/integration/credential_oracle) only.
#ifndef BOOTGATE_TESTS_UNIT_ENROLL_SOFTWARE_ACTIVATE_H_
#define BOOTGATE_TESTS_UNIT_ENROLL_SOFTWARE_ACTIVATE_H_

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/enroll/make_credential.h"

namespace bootgate::enroll::testing {

// The seed carried by `encrypted_secret` (a marshaled TPM2B_ENCRYPTED_SECRET) for the EK `ek`
// whose private key is `ek_private`: RSA-OAEP decryption, or ECDH with the ephemeral point
// and KDFe.
absl::StatusOr<std::vector<uint8_t>> RecoverSeed(EVP_PKEY* ek_private, const TPMT_PUBLIC& ek,
                                                 std::span<const uint8_t> encrypted_secret);

// The secret in `credential`, released only when its outer HMAC verifies for `ak_name`:
// what TPM2_ActivateCredential returns. InvalidArgument("... integrity ...") otherwise.
absl::StatusOr<std::vector<uint8_t>> ActivateCredential(EVP_PKEY* ek_private, const TPMT_PUBLIC& ek,
                                                        std::span<const uint8_t> ak_name,
                                                        const Credential& credential);

}  // namespace bootgate::enroll::testing

#endif  // BOOTGATE_TESTS_UNIT_ENROLL_SOFTWARE_ACTIVATE_H_
