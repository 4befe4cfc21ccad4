// KDFa and KDFe: their block structure written out by hand, and agreement with OpenSSL's own
// SP 800-108 (KBKDF) and SP 800-56C single-step (SSKDF) implementations of the same functions.
#include "verifier/enroll/kdf.h"

#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "verifier/bytes/hex.h"
#include "verifier/crypto/hash.h"

namespace bootgate::enroll {
namespace {

using Bytes = std::vector<uint8_t>;
using crypto::HashAlg;

Bytes Str(const std::string& s) { return Bytes(s.begin(), s.end()); }
Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes U32(uint32_t v) { return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}; }
Bytes Hmac(HashAlg alg, const Bytes& key, const Bytes& msg) {
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  REQUIRE(HMAC(crypto::EvpMd(alg), key.data(), int(key.size()), msg.data(), msg.size(), out,
               &len) != nullptr);
  return Bytes(out, out + len);
}

// OpenSSL's KBKDF in counter mode with HMAC: K(i) = HMAC([i]_32 || label || 0x00 || context ||
// [L]_32): KDFa with context = contextU || contextV.
Bytes OpenSslKbkdf(const char* digest, const Bytes& key, const std::string& label,
                   const Bytes& context, size_t out_len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "KBKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  Bytes out(out_len);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, const_cast<char*>("COUNTER"), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, const_cast<char*>("HMAC"), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(key.data()),
                                        key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(label.data()),
                                        label.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(context.data()),
                                        context.size()),
      OSSL_PARAM_construct_end()};
  REQUIRE(ctx != nullptr);
  REQUIRE(EVP_KDF_derive(ctx, out.data(), out.size(), params) == 1);
  EVP_KDF_CTX_free(ctx);
  EVP_KDF_free(kdf);
  return out;
}

// OpenSSL's single-step KDF with a hash: K(i) = H([i]_32 || Z || OtherInfo): KDFe with
// OtherInfo = label || 0x00 || partyU || partyV.
Bytes OpenSslSskdf(const char* digest, const Bytes& z, const Bytes& info, size_t out_len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "SSKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  Bytes out(out_len);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(z.data()),
                                        z.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end()};
  REQUIRE(ctx != nullptr);
  REQUIRE(EVP_KDF_derive(ctx, out.data(), out.size(), params) == 1);
  EVP_KDF_CTX_free(ctx);
  EVP_KDF_free(kdf);
  return out;
}

const Bytes kSeed =
    *bytes::FromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Bytes kName = *bytes::FromHex(
    "000b"
    "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899");

TEST_CASE("KDFa is HMAC over counter, label, 0x00, contexts and the bit count", "[enroll]") {
  auto out = KDFa(HashAlg::kSha256, kSeed, "STORAGE", kName, {}, 128);
  REQUIRE(out.ok());
  const Bytes block1 =
      Hmac(HashAlg::kSha256, kSeed, Cat({U32(1), Str("STORAGE"), {0x00}, kName, U32(128)}));
  CHECK(bytes::ToHex(*out) == bytes::ToHex(Bytes(block1.begin(), block1.begin() + 16)));

  // Longer than one digest: blocks 1 and 2 (each with the full bit count), then truncated.
  auto long_out = KDFa(HashAlg::kSha256, kSeed, "INTEGRITY", {}, {}, 320);
  REQUIRE(long_out.ok());
  REQUIRE(long_out->size() == 40);
  Bytes expected = Hmac(HashAlg::kSha256, kSeed, Cat({U32(1), Str("INTEGRITY"), {0x00}, U32(320)}));
  const Bytes block2 =
      Hmac(HashAlg::kSha256, kSeed, Cat({U32(2), Str("INTEGRITY"), {0x00}, U32(320)}));
  expected.insert(expected.end(), block2.begin(), block2.begin() + 8);
  CHECK(bytes::ToHex(*long_out) == bytes::ToHex(expected));
}

TEST_CASE("KDFa agrees with OpenSSL's KBKDF for every hash and length", "[enroll]") {
  const Bytes u = Str("context U");
  const Bytes v = Str("context V!");
  for (auto [alg, digest] : {std::pair{HashAlg::kSha1, "SHA1"},
                             {HashAlg::kSha256, "SHA256"},
                             {HashAlg::kSha384, "SHA384"},
                             {HashAlg::kSha512, "SHA512"}}) {
    for (uint32_t bits : {8u, 128u, 256u, 264u, 1024u}) {
      CAPTURE(digest, bits);
      auto ours = KDFa(alg, kSeed, "IDENTITY", u, v, bits);
      REQUIRE(ours.ok());
      CHECK(bytes::ToHex(*ours) ==
            bytes::ToHex(OpenSslKbkdf(digest, kSeed, "IDENTITY", Cat({u, v}), bits / 8)));
    }
  }
}

TEST_CASE("KDFa adds the 0x00 after a label only when the label does not end in one", "[enroll]") {
  auto plain = KDFa(HashAlg::kSha256, kSeed, "STORAGE", kName, {}, 256);
  auto with_nul = KDFa(HashAlg::kSha256, kSeed, absl::string_view("STORAGE\0", 8), kName, {}, 256);
  REQUIRE(plain.ok());
  REQUIRE(with_nul.ok());
  CHECK(*plain == *with_nul);
  // No label: still the 0x00 separator.
  auto empty = KDFa(HashAlg::kSha256, kSeed, "", {}, {}, 256);
  REQUIRE(empty.ok());
  CHECK(*empty == Hmac(HashAlg::kSha256, kSeed, Cat({U32(1), {0x00}, U32(256)})));
  // contextU || contextV are concatenated (no lengths), so only their bytes matter.
  auto as_v = KDFa(HashAlg::kSha256, kSeed, "STORAGE", {}, kName, 256);
  REQUIRE(as_v.ok());
  CHECK(*as_v == *plain);
  auto other_name = KDFa(HashAlg::kSha256, kSeed, "STORAGE", kSeed, {}, 256);
  REQUIRE(other_name.ok());
  CHECK(*other_name != *plain);
}

TEST_CASE("KDFe is a hash over counter, Z, label, 0x00 and the party infos", "[enroll]") {
  const Bytes z = Str("shared secret Z, 32 bytes long!!");
  const Bytes party_u = Bytes(32, 0x11);
  const Bytes party_v = Bytes(32, 0x22);
  auto out = KDFe(HashAlg::kSha256, z, "IDENTITY", party_u, party_v, 256);
  REQUIRE(out.ok());
  auto h =
      crypto::Hash(HashAlg::kSha256, Cat({U32(1), z, Str("IDENTITY"), {0x00}, party_u, party_v}));
  REQUIRE(h.ok());
  CHECK(bytes::ToHex(*out) == bytes::ToHex(*h));

  for (auto [alg, digest] : {std::pair{HashAlg::kSha1, "SHA1"},
                             {HashAlg::kSha256, "SHA256"},
                             {HashAlg::kSha384, "SHA384"},
                             {HashAlg::kSha512, "SHA512"}}) {
    for (uint32_t bits : {8u, 256u, 384u, 1000u}) {
      CAPTURE(digest, bits);
      auto ours = KDFe(alg, z, "IDENTITY", party_u, party_v, bits);
      REQUIRE(ours.ok());
      const Bytes info = Cat({Str("IDENTITY"), {0x00}, party_u, party_v});
      CHECK(bytes::ToHex(*ours) == bytes::ToHex(OpenSslSskdf(digest, z, info, bits / 8)));
    }
  }
}

TEST_CASE("KDFa and KDFe refuse bit counts that are not whole bytes", "[enroll]") {
  for (uint32_t bits : {0u, 7u, 129u, 1u << 20}) {
    CAPTURE(bits);
    CHECK(KDFa(HashAlg::kSha256, kSeed, "X", {}, {}, bits).status().code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK(KDFe(HashAlg::kSha256, kSeed, "X", {}, {}, bits).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace bootgate::enroll
