// Reading public key parameters out of OpenSSL keys as TPM-sized byte strings (internal to
// verifier/enroll).
#ifndef BOOTGATE_VERIFIER_ENROLL_KEY_PARAMS_H_
#define BOOTGATE_VERIFIER_ENROLL_KEY_PARAMS_H_

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace bootgate::enroll {

// The big-number parameter `param` (OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_EC_PUB_X, ...) as
// big-endian bytes left-padded to `size` bytes; InvalidArgument when it is missing or longer.
absl::StatusOr<std::vector<uint8_t>> KeyBnParam(EVP_PKEY* key, const char* param, size_t size);

// OpenSSL's group name of an EC key ("prime256v1"), or "" when the key has none.
std::string EcGroupName(EVP_PKEY* key);

}  // namespace bootgate::enroll

#endif  // BOOTGATE_VERIFIER_ENROLL_KEY_PARAMS_H_
