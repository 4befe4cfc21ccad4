// Attestation key (AK) public keys: parsing every form a user or a TPM tool hands over into
// an OpenSSL key, and the TPM-side facts (attributes, name) when the input carries them.
#ifndef BOOTGATE_VERIFIER_TPM_AK_PUBLIC_H_
#define BOOTGATE_VERIFIER_TPM_AK_PUBLIC_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/crypto/hash.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::tpm {

enum class AkFormat {
  kTpm2bPublic,  // TPM2B_PUBLIC, as `tpm2_createak -u` / `tpm2_readpublic -o` write it
  kTpmtPublic,   // a bare TPMT_PUBLIC (no size prefix)
  kPem,          // PEM "PUBLIC KEY" (SubjectPublicKeyInfo)
  kDer,          // DER SubjectPublicKeyInfo
};

// What the TPM says about the key; only known when the input was a TPM structure.
struct TpmKeyInfo {
  uint16_t type = 0;               // TPM_ALG_RSA (0x0001) or TPM_ALG_ECC (0x0023)
  uint16_t name_alg = 0;           // TPM_ALG_ID of nameAlg
  uint32_t object_attributes = 0;  // TPMA_OBJECT bits (fixedTPM, restricted, sign, ...)
  // The TPM Name: nameAlg (2 bytes, big-endian) || H_nameAlg(marshaled TPMT_PUBLIC).
  std::vector<uint8_t> name;
};

struct AkPublic {
  crypto::EvpPkeyPtr key;
  AkFormat format = AkFormat::kPem;
  std::optional<TpmKeyInfo> tpm;
  // "rsa-2048", "ecc-p256", "ecc-p384", ... for messages and summaries.
  std::string description;
};

// Parses an AK public key, detecting the format: PEM (text starting with "-----BEGIN"),
// TPM2B_PUBLIC (big-endian size prefix equal to the rest of the input), bare TPMT_PUBLIC, or
// DER SPKI. Only RSA and ECC (NIST P-256/P-384/P-521) keys are accepted. TPM structures must
// use every byte (trailing bytes are an error). Returns InvalidArgument naming the format
// tried when the input is none of these, or the key type/curve is unsupported.
absl::StatusOr<AkPublic> ParseAkPublic(std::span<const uint8_t> data);

}  // namespace bootgate::tpm

#endif  // BOOTGATE_VERIFIER_TPM_AK_PUBLIC_H_
