// Test helpers: hand-made TPM structures (marshalled with tss2-mu) and keys and signatures made
// by OpenSSL in the test, so every field and every byte can be chosen.
#ifndef BOOTGATE_TESTS_UNIT_TPM_QUOTE_BUILDER_H_
#define BOOTGATE_TESTS_UNIT_TPM_QUOTE_BUILDER_H_

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <span>
#include <vector>

#include "verifier/crypto/openssl_ptr.h"
#include "verifier/crypto/pcr_values.h"
#include "verifier/tpm/quote.h"

namespace bootgate::tpm::testing {

using Bytes = std::vector<uint8_t>;

struct AttestFields {
  uint32_t magic = TPM2_GENERATED_VALUE;
  uint16_t type = TPM2_ST_ATTEST_QUOTE;
  Bytes signer = {0x00, 0x0b, 0xaa, 0xbb};
  Bytes nonce = {0x1a, 0x2b, 0x3c, 0x4d};
  uint64_t clock = 12345;
  uint32_t reset_count = 3;
  uint32_t restart_count = 1;
  uint8_t safe = 1;
  uint64_t firmware = 0x2019102300163636;
  // Raw banks: (TPM_ALG_ID, PCRs) so tests can name unknown algorithms.
  std::vector<std::pair<uint16_t, std::vector<uint32_t>>> selection = {
      {TPM2_ALG_SHA256, {0, 1, 2, 3, 4, 5, 6, 7}}};
  Bytes pcr_digest = Bytes(32, 0x41);
};

// TPMS_ATTEST bytes for `fields` (a quote body, or an empty certify body for certify types).
Bytes MarshalAttest(const AttestFields& fields);

crypto::EvpPkeyPtr NewRsaKey(int bits = 2048);
crypto::EvpPkeyPtr NewEcKey(const char* group);  // "prime256v1", "secp384r1"

// A TPMT_SIGNATURE over `message` with `key`: scheme TPM2_ALG_RSASSA / RSAPSS / ECDSA, hash a
// TPM_ALG_ID.
Bytes SignTpm(EVP_PKEY* key, uint16_t scheme, uint16_t hash, std::span<const uint8_t> message);

// Marshalled TPMT_PUBLIC (or TPM2B_PUBLIC) of a restricted signing key with nameAlg SHA-256.
Bytes TpmPublic(EVP_PKEY* key, bool tpm2b);
Bytes PemPublic(EVP_PKEY* key);
Bytes DerPublic(EVP_PKEY* key);

// A tpm2-tools serialized PCR file (see verifier/tpm/pcr_file.h) for `selection`, values taken
// from `values`.
Bytes PcrFileBytes(const PcrSelection& selection, const crypto::PcrValues& values);

// PCR values for `selection`: PCR i of each bank filled with byte i+1.
crypto::PcrValues SamplePcrs(const PcrSelection& selection);

}  // namespace bootgate::tpm::testing

#endif  // BOOTGATE_TESTS_UNIT_TPM_QUOTE_BUILDER_H_
