#include "verifier/crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "verifier/bytes/hex.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::crypto {
namespace {

struct AlgInfo {
  HashAlg alg;
  absl::string_view name;
  size_t size;
};

constexpr AlgInfo kAlgs[] = {
    {HashAlg::kSha1, "sha1", 20},       {HashAlg::kSha256, "sha256", 32},
    {HashAlg::kSha384, "sha384", 48},   {HashAlg::kSha512, "sha512", 64},
    {HashAlg::kSm3_256, "sm3_256", 32},
};

const AlgInfo& Info(HashAlg alg) {
  for (const AlgInfo& info : kAlgs) {
    if (info.alg == alg) return info;
  }
  return kAlgs[0];  // Unreachable: every enumerator is in kAlgs.
}

absl::StatusOr<Digest> HashParts(HashAlg alg, std::span<const uint8_t> a,
                                 std::span<const uint8_t> b) {
  const EVP_MD* md = EvpMd(alg);
  if (md == nullptr) {
    return absl::UnimplementedError(absl::StrCat(HashAlgName(alg), " is not available"));
  }
  // One context per thread, reused: allocation would dominate hashing of short inputs.
  thread_local EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  Digest out(DigestSize(alg));
  unsigned int out_len = 0;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &out_len) != 1 || out_len != out.size()) {
    return absl::InternalError(absl::StrCat(HashAlgName(alg), " hashing failed"));
  }
  return out;
}

}  // namespace

const EVP_MD* EvpMd(HashAlg alg) {
  auto fetch = [](const char* name) { return EVP_MD_fetch(nullptr, name, nullptr); };
  switch (alg) {
    case HashAlg::kSha1: {
      static const EVP_MD* const md = fetch("SHA1");
      return md;
    }
    case HashAlg::kSha256: {
      static const EVP_MD* const md = fetch("SHA256");
      return md;
    }
    case HashAlg::kSha384: {
      static const EVP_MD* const md = fetch("SHA384");
      return md;
    }
    case HashAlg::kSha512: {
      static const EVP_MD* const md = fetch("SHA512");
      return md;
    }
    case HashAlg::kSm3_256: {
      static const EVP_MD* const md = fetch("SM3");
      return md;
    }
  }
  return nullptr;
}

std::optional<HashAlg> HashAlgFromTpmId(uint16_t alg_id) {
  for (const AlgInfo& info : kAlgs) {
    if (static_cast<uint16_t>(info.alg) == alg_id) return info.alg;
  }
  return std::nullopt;
}

std::optional<HashAlg> HashAlgFromName(absl::string_view name) {
  for (const AlgInfo& info : kAlgs) {
    if (info.name == name) return info.alg;
  }
  return std::nullopt;
}

absl::string_view HashAlgName(HashAlg alg) { return Info(alg).name; }

size_t DigestSize(HashAlg alg) { return Info(alg).size; }

absl::StatusOr<Digest> Hash(HashAlg alg, std::span<const uint8_t> data) {
  return HashParts(alg, data, {});
}

std::string Sha256Hex(std::span<const uint8_t> data) {
  absl::StatusOr<Digest> digest = Hash(HashAlg::kSha256, data);
  return digest.ok() ? bytes::ToHex(*digest) : std::string();
}

absl::Status Extend(HashAlg alg, Digest& pcr, std::span<const uint8_t> digest) {
  if (pcr.size() != DigestSize(alg)) {
    return absl::InvalidArgumentError(
        absl::StrCat(HashAlgName(alg), " PCR has size ", pcr.size(), ", want ", DigestSize(alg)));
  }
  absl::StatusOr<Digest> next = HashParts(alg, pcr, digest);
  if (!next.ok()) return next.status();
  pcr = *std::move(next);
  return absl::OkStatus();
}

bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace bootgate::crypto
