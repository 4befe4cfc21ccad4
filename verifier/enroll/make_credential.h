// TPM2_MakeCredential in software (TPM 2.0 Part 1, 24; Part 3, 12.6): the verifier's half of
// the credential activation that proves an attestation key (AK) lives in the same TPM as an
// endorsement key (EK). Only the TPM holding the EK's private key can recover the seed, and
// TPM2_ActivateCredential releases the secret only for a loaded object whose Name is the one
// the credential was made for.
#ifndef BOOTGATE_VERIFIER_ENROLL_MAKE_CREDENTIAL_H_
#define BOOTGATE_VERIFIER_ENROLL_MAKE_CREDENTIAL_H_

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/enroll/kdf.h"  // KDFa, KDFe

namespace bootgate::enroll {

struct Credential {
  std::vector<uint8_t> credential_blob;   // marshaled TPM2B_ID_OBJECT (with its size prefix)
  std::vector<uint8_t> encrypted_secret;  // marshaled TPM2B_ENCRYPTED_SECRET (with its size prefix)
};

// TPM2_MakeCredential done in software for the EK `ek` (a TPMT_PUBLIC: RSA with OAEP label
// "IDENTITY\0" and the EK's nameAlg; or ECC: ephemeral ECDH on the EK's curve + KDFe, label
// "IDENTITY"), protecting `secret` (<= digest size of the EK's nameAlg) for the key whose TPM Name
// is `ak_name`. symmetric: the EK's symmetric definition (AES-128/256 CFB); HMAC with the EK's
// nameAlg. InvalidArgument for an EK that is not a restricted RSA/ECC decryption key with such a
// symmetric definition, a malformed Name, or an empty or too long secret.
absl::StatusOr<Credential> MakeCredential(const TPMT_PUBLIC& ek, std::span<const uint8_t> ak_name,
                                          std::span<const uint8_t> secret);

// The deterministic part, for tests: `seed` already chosen and `encrypted_seed` the marshaled
// TPM2B_ENCRYPTED_SECRET that carries it.
absl::StatusOr<Credential> MakeCredentialWithSeed(const TPMT_PUBLIC& ek,
                                                  std::span<const uint8_t> ak_name,
                                                  std::span<const uint8_t> secret,
                                                  std::span<const uint8_t> seed,
                                                  std::span<const uint8_t> encrypted_seed);

}  // namespace bootgate::enroll

#endif  // BOOTGATE_VERIFIER_ENROLL_MAKE_CREDENTIAL_H_
