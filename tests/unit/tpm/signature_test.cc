#include "verifier/tpm/signature.h"

#include <catch2/catch.hpp>

#include "tests/unit/tpm/quote_builder.h"
#include "tests/unit/tpm/swtpm_evidence.h"
#include "tests/unit/tpm/test_util.h"
#include "verifier/tpm/ak_public.h"

namespace bootgate::tpm {
namespace {

using testing::Bytes;
using testing::RejectionName;

const Bytes kMessage = {'T', 'P', 'M', 'S', '_', 'A', 'T', 'T', 'E', 'S', 'T'};

TEST_CASE("VerifyTpmSignature accepts swtpm RSASSA and ECDSA quote signatures", "[tpm]") {
  auto rsa = ParseAkPublic(testing::swtpm::kRsaAkTpm2b);
  auto ecc = ParseAkPublic(testing::swtpm::kEccAkTpm2b);
  REQUIRE((rsa.ok() && ecc.ok()));
  auto r = VerifyTpmSignature(testing::swtpm::kRsaQuoteMsg, testing::swtpm::kRsaQuoteSig,
                              rsa->key.get());
  REQUIRE(r.ok());
  CHECK(r->scheme == TPM2_ALG_RSASSA);
  CHECK(r->hash == crypto::HashAlg::kSha256);
  auto e = VerifyTpmSignature(testing::swtpm::kEccQuoteMsg, testing::swtpm::kEccQuoteSig,
                              ecc->key.get());
  REQUIRE(e.ok());
  CHECK(e->scheme == TPM2_ALG_ECDSA);
}

TEST_CASE("VerifyTpmSignature accepts every supported scheme and hash", "[tpm]") {
  crypto::EvpPkeyPtr rsa = testing::NewRsaKey();
  crypto::EvpPkeyPtr p256 = testing::NewEcKey("prime256v1");
  crypto::EvpPkeyPtr p384 = testing::NewEcKey("secp384r1");
  struct Case {
    EVP_PKEY* key;
    uint16_t scheme;
  };
  for (const Case& c : {Case{rsa.get(), TPM2_ALG_RSASSA}, Case{rsa.get(), TPM2_ALG_RSAPSS},
                        Case{p256.get(), TPM2_ALG_ECDSA}, Case{p384.get(), TPM2_ALG_ECDSA}}) {
    for (uint16_t hash : {TPM2_ALG_SHA256, TPM2_ALG_SHA384, TPM2_ALG_SHA512}) {
      INFO("scheme " << c.scheme << " hash " << hash);
      const Bytes sig = testing::SignTpm(c.key, c.scheme, hash, kMessage);
      auto v = VerifyTpmSignature(kMessage, sig, c.key);
      REQUIRE(v.ok());
      CHECK(static_cast<uint16_t>(v->hash) == hash);
      CHECK(v->scheme == c.scheme);
    }
  }
}

TEST_CASE("VerifyTpmSignature accepts RSA-PSS with the maximum salt length", "[tpm]") {
  // Some TPMs salt PSS with the maximum length instead of the digest length.
  crypto::EvpPkeyPtr rsa = testing::NewRsaKey();
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  REQUIRE(EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, rsa.get()) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_MAX) == 1);
  size_t len = 256;
  Bytes raw(len);
  REQUIRE(EVP_DigestSign(ctx.get(), raw.data(), &len, kMessage.data(), kMessage.size()) == 1);
  // TPMT_SIGNATURE: sigAlg, hash, TPM2B size, signature (all big-endian).
  Bytes sig = {0x00, 0x16, 0x00, 0x0b, 0x01, 0x00};
  sig.insert(sig.end(), raw.begin(), raw.begin() + static_cast<long>(len));
  CHECK(VerifyTpmSignature(kMessage, sig, rsa.get()).ok());
}

TEST_CASE("VerifyTpmSignature rejects a signature over other bytes or by another key", "[tpm]") {
  crypto::EvpPkeyPtr rsa = testing::NewRsaKey();
  crypto::EvpPkeyPtr other = testing::NewRsaKey();
  crypto::EvpPkeyPtr ec = testing::NewEcKey("prime256v1");
  const Bytes rsa_sig = testing::SignTpm(rsa.get(), TPM2_ALG_RSASSA, TPM2_ALG_SHA256, kMessage);
  const Bytes ec_sig = testing::SignTpm(ec.get(), TPM2_ALG_ECDSA, TPM2_ALG_SHA256, kMessage);
  Bytes altered = kMessage;
  altered.back() ^= 1;
  CHECK(RejectionName(VerifyTpmSignature(altered, rsa_sig, rsa.get()).status()) == "bad-signature");
  CHECK(RejectionName(VerifyTpmSignature(altered, ec_sig, ec.get()).status()) == "bad-signature");
  CHECK(RejectionName(VerifyTpmSignature(kMessage, rsa_sig, other.get()).status()) ==
        "bad-signature");
  // Every bit of the signature value matters.
  for (size_t i = 6; i < rsa_sig.size(); i += 17) {
    Bytes bad = rsa_sig;
    bad[i] ^= 0x10;
    CHECK(RejectionName(VerifyTpmSignature(kMessage, bad, rsa.get()).status()) == "bad-signature");
  }
}

TEST_CASE("VerifyTpmSignature rejects a scheme that does not match the key type", "[tpm]") {
  crypto::EvpPkeyPtr rsa = testing::NewRsaKey();
  crypto::EvpPkeyPtr ec = testing::NewEcKey("prime256v1");
  const Bytes rsa_sig = testing::SignTpm(rsa.get(), TPM2_ALG_RSASSA, TPM2_ALG_SHA256, kMessage);
  const Bytes ec_sig = testing::SignTpm(ec.get(), TPM2_ALG_ECDSA, TPM2_ALG_SHA256, kMessage);
  auto a = VerifyTpmSignature(kMessage, rsa_sig, ec.get());
  CHECK(RejectionName(a.status()) == "key-scheme-mismatch");
  CHECK(testing::Contains(a.status(), "not an RSA key"));
  auto b = VerifyTpmSignature(kMessage, ec_sig, rsa.get());
  CHECK(RejectionName(b.status()) == "key-scheme-mismatch");
  CHECK(testing::Contains(b.status(), "not an EC key"));
}

TEST_CASE("VerifyTpmSignature refuses SHA-1 unless allowed", "[tpm]") {
  crypto::EvpPkeyPtr rsa = testing::NewRsaKey();
  crypto::EvpPkeyPtr ec = testing::NewEcKey("prime256v1");
  for (auto [key, scheme] :
       {std::pair{rsa.get(), TPM2_ALG_RSASSA}, std::pair{rsa.get(), TPM2_ALG_RSAPSS},
        std::pair{ec.get(), TPM2_ALG_ECDSA}}) {
    const Bytes sig = testing::SignTpm(key, scheme, TPM2_ALG_SHA1, kMessage);
    auto refused = VerifyTpmSignature(kMessage, sig, key);
    CHECK(RejectionName(refused.status()) == "unsupported-scheme");
    CHECK(testing::Contains(refused.status(), "uses sha1"));
    auto allowed = VerifyTpmSignature(kMessage, sig, key, {.allow_sha1 = true});
    REQUIRE(allowed.ok());
    CHECK(allowed->hash == crypto::HashAlg::kSha1);
  }
}

TEST_CASE("VerifyTpmSignature rejects unsupported schemes and hashes by name", "[tpm]") {
  crypto::EvpPkeyPtr ec = testing::NewEcKey("prime256v1");
  Bytes sig = testing::SignTpm(ec.get(), TPM2_ALG_ECDSA, TPM2_ALG_SHA256, kMessage);
  sig[1] = 0x1a;  // ECDAA: same body layout as ECDSA
  auto ecdaa = VerifyTpmSignature(kMessage, sig, ec.get());
  CHECK(RejectionName(ecdaa.status()) == "unsupported-scheme");
  CHECK(testing::Contains(ecdaa.status(), "signature scheme ecdaa is not supported"));

  const Bytes null_sig = {0x00, 0x10};
  CHECK(testing::Contains(VerifyTpmSignature(kMessage, null_sig, ec.get()).status(),
                          "signature scheme null"));

  Bytes sm3 = testing::SignTpm(ec.get(), TPM2_ALG_ECDSA, TPM2_ALG_SHA256, kMessage);
  sm3[3] = 0x12;  // hash TPM_ALG_SM3_256
  auto bad_hash = VerifyTpmSignature(kMessage, sm3, ec.get());
  CHECK(RejectionName(bad_hash.status()) == "unsupported-scheme");
  CHECK(testing::Contains(bad_hash.status(), "hash 0x0012"));
}

TEST_CASE("VerifyTpmSignature treats truncated or padded signatures as malformed", "[tpm]") {
  crypto::EvpPkeyPtr rsa = testing::NewRsaKey();
  crypto::EvpPkeyPtr ec = testing::NewEcKey("prime256v1");
  for (auto [key, scheme] :
       {std::pair{rsa.get(), TPM2_ALG_RSASSA}, std::pair{ec.get(), TPM2_ALG_ECDSA}}) {
    const Bytes sig = testing::SignTpm(key, scheme, TPM2_ALG_SHA256, kMessage);
    for (size_t n = 0; n < sig.size(); ++n) {
      INFO("scheme " << scheme << " length " << n);
      CHECK(VerifyTpmSignature(kMessage, std::span<const uint8_t>(sig.data(), n), key)
                .status()
                .code() == absl::StatusCode::kInvalidArgument);
    }
    Bytes padded = sig;
    padded.push_back(0);
    auto v = VerifyTpmSignature(kMessage, padded, key);
    CHECK(v.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(testing::Contains(v.status(), "1 trailing bytes"));
  }
}

}  // namespace
}  // namespace bootgate::tpm
