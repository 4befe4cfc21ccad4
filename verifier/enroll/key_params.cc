#include "verifier/enroll/key_params.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::enroll {

absl::StatusOr<std::vector<uint8_t>> KeyBnParam(EVP_PKEY* key, const char* param, size_t size) {
  BIGNUM* raw = nullptr;
  if (key == nullptr || EVP_PKEY_get_bn_param(key, param, &raw) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("the key has no ", param, " parameter"));
  }
  crypto::BignumPtr bn(raw);
  std::vector<uint8_t> out(size);
  if (BN_bn2binpad(bn.get(), out.data(), static_cast<int>(out.size())) < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the key's ", param, " does not fit in ", size, " bytes"));
  }
  return out;
}

std::string EcGroupName(EVP_PKEY* key) {
  char group[80] = {};
  size_t len = 0;
  if (key == nullptr || EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                       sizeof(group), &len) != 1) {
    return "";
  }
  return std::string(group, len);
}

}  // namespace bootgate::enroll
