#include "verifier/enroll/kdf.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::enroll {
namespace {

// Derived keys here are symmetric keys and seeds (at most 512 bits); this bound only keeps a
// caller's mistake from allocating without limit.
constexpr uint32_t kMaxBits = 8 * 4096;

void AppendU32Be(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

void Append(std::vector<uint8_t>& out, std::span<const uint8_t> data) {
  out.insert(out.end(), data.begin(), data.end());
}

// label || 0x00 (the 0x00 only when the label does not already end with one).
void AppendLabel(std::vector<uint8_t>& out, absl::string_view label) {
  out.insert(out.end(), label.begin(), label.end());
  if (label.empty() || label.back() != '\0') out.push_back(0);
}

absl::Status CheckBits(absl::string_view kdf, uint32_t bits) {
  if (bits == 0 || bits % 8 != 0 || bits > kMaxBits) {
    return absl::InvalidArgumentError(absl::StrCat(
        kdf, ": ", bits, " bits requested; need a positive multiple of 8 up to ", kMaxBits));
  }
  return absl::OkStatus();
}

absl::StatusOr<const EVP_MD*> Md(absl::string_view kdf, crypto::HashAlg alg) {
  const EVP_MD* md = crypto::EvpMd(alg);
  if (md == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat(kdf, ": ", crypto::HashAlgName(alg), " is not available in this OpenSSL"));
  }
  return md;
}

// Runs `block(counter, out)` for counter = 1, 2, ... until `bits` are produced, and keeps the
// leftmost bits/8 bytes.
template <typename Block>
absl::StatusOr<std::vector<uint8_t>> Counter(crypto::HashAlg alg, uint32_t bits, Block block) {
  const size_t want = bits / 8;
  std::vector<uint8_t> out;
  out.reserve(want + crypto::DigestSize(alg));
  for (uint32_t counter = 1; out.size() < want; ++counter) {
    if (!block(counter, out)) return absl::InternalError("KDF: OpenSSL hashing failed");
  }
  out.resize(want);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> KDFa(crypto::HashAlg alg, std::span<const uint8_t> key,
                                          absl::string_view label,
                                          std::span<const uint8_t> context_u,
                                          std::span<const uint8_t> context_v, uint32_t bits) {
  RETURN_IF_ERROR(CheckBits("KDFa", bits));
  if (key.size() > INT32_MAX) return absl::InvalidArgumentError("KDFa: key too large");
  ASSIGN_OR_RETURN(const EVP_MD* md, Md("KDFa", alg));
  // HMAC() wants a valid pointer even for an empty key.
  static constexpr uint8_t kEmpty = 0;
  const uint8_t* key_data = key.empty() ? &kEmpty : key.data();
  // Everything after the counter is the same in every block.
  std::vector<uint8_t> fixed;
  AppendLabel(fixed, label);
  Append(fixed, context_u);
  Append(fixed, context_v);
  AppendU32Be(fixed, bits);
  return Counter(alg, bits, [&](uint32_t counter, std::vector<uint8_t>& out) {
    std::vector<uint8_t> message;
    message.reserve(4 + fixed.size());
    AppendU32Be(message, counter);
    Append(message, fixed);
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(md, key_data, static_cast<int>(key.size()), message.data(), message.size(), mac,
             &mac_len) == nullptr) {
      return false;
    }
    out.insert(out.end(), mac, mac + mac_len);
    return true;
  });
}

absl::StatusOr<std::vector<uint8_t>> KDFe(crypto::HashAlg alg, std::span<const uint8_t> z,
                                          absl::string_view label, std::span<const uint8_t> party_u,
                                          std::span<const uint8_t> party_v, uint32_t bits) {
  RETURN_IF_ERROR(CheckBits("KDFe", bits));
  ASSIGN_OR_RETURN(const EVP_MD* md, Md("KDFe", alg));
  std::vector<uint8_t> fixed;
  Append(fixed, z);
  AppendLabel(fixed, label);
  Append(fixed, party_u);
  Append(fixed, party_v);
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return absl::InternalError("KDFe: out of memory");
  return Counter(alg, bits, [&](uint32_t counter, std::vector<uint8_t>& out) {
    std::vector<uint8_t> prefix;
    AppendU32Be(prefix, counter);
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), prefix.data(), prefix.size()) != 1 ||
        EVP_DigestUpdate(ctx.get(), fixed.data(), fixed.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), digest, &digest_len) != 1) {
      return false;
    }
    out.insert(out.end(), digest, digest + digest_len);
    return true;
  });
}

}  // namespace bootgate::enroll
