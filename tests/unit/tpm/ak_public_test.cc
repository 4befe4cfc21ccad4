#include "verifier/tpm/ak_public.h"

#include <openssl/core_names.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/unit/tpm/quote_builder.h"
#include "tests/unit/tpm/swtpm_evidence.h"
#include "verifier/bytes/hex.h"

namespace bootgate::tpm {
namespace {

using testing::Bytes;

TEST_CASE("ParseAkPublic computes the same TPM Name as the swtpm", "[tpm]") {
  for (auto [ak_bytes, name] : {std::pair{std::span<const uint8_t>(testing::swtpm::kRsaAkTpm2b),
                                          std::span<const uint8_t>(testing::swtpm::kRsaAkName)},
                                std::pair{std::span<const uint8_t>(testing::swtpm::kEccAkTpm2b),
                                          std::span<const uint8_t>(testing::swtpm::kEccAkName)}}) {
    auto ak = ParseAkPublic(ak_bytes);
    REQUIRE(ak.ok());
    CHECK(ak->format == AkFormat::kTpm2bPublic);
    REQUIRE(ak->tpm.has_value());
    CHECK(ak->tpm->name_alg == TPM2_ALG_SHA256);
    CHECK(ak->tpm->object_attributes == 0x50072);  // fixedtpm|fixedparent|sdo|uwa|restricted|sign
    // tpm2_createak -n: what the TPM itself computed.
    CHECK(bytes::ToHex(ak->tpm->name) == bytes::ToHex(name));
  }
  CHECK(ParseAkPublic(testing::swtpm::kRsaAkTpm2b)->description == "rsa-2048");
  CHECK(ParseAkPublic(testing::swtpm::kEccAkTpm2b)->description == "ecc-p256");
}

TEST_CASE("ParseAkPublic detects PEM, DER, TPM2B_PUBLIC and TPMT_PUBLIC of the same key", "[tpm]") {
  for (const char* kind : {"rsa", "p256", "p384"}) {
    INFO(kind);
    crypto::EvpPkeyPtr key = std::string(kind) == "rsa"    ? testing::NewRsaKey()
                             : std::string(kind) == "p256" ? testing::NewEcKey("prime256v1")
                                                           : testing::NewEcKey("secp384r1");
    const std::pair<Bytes, AkFormat> forms[] = {
        {testing::PemPublic(key.get()), AkFormat::kPem},
        {testing::DerPublic(key.get()), AkFormat::kDer},
        {testing::TpmPublic(key.get(), true), AkFormat::kTpm2bPublic},
        {testing::TpmPublic(key.get(), false), AkFormat::kTpmtPublic},
    };
    for (const auto& [bytes, format] : forms) {
      auto ak = ParseAkPublic(bytes);
      REQUIRE(ak.ok());
      CHECK(ak->format == format);
      CHECK(EVP_PKEY_eq(ak->key.get(), key.get()) == 1);
      CHECK(ak->tpm.has_value() ==
            (format == AkFormat::kTpm2bPublic || format == AkFormat::kTpmtPublic));
    }
  }
}

// OpenSSL's own SubjectPublicKeyInfo decoder (d2i_PUBKEY, its decoder framework) is the peer:
// ParseAkPublic reads DER SPKI itself, and must accept exactly the RSA and NIST-curve keys
// d2i_PUBKEY accepts, as the same key, and refuse what it refuses.
crypto::EvpPkeyPtr PeerDecode(const Bytes& der) {
  const uint8_t* p = der.data();
  crypto::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (key == nullptr || p != der.data() + der.size()) return nullptr;
  return key;
}

Bytes DerWith(EVP_PKEY* key, const char* param, const char* value) {
  crypto::EvpPkeyPtr copy(EVP_PKEY_dup(key));
  REQUIRE(EVP_PKEY_set_utf8_string_param(copy.get(), param, value) == 1);
  return testing::DerPublic(copy.get());
}

TEST_CASE("ParseAkPublic reads DER SubjectPublicKeyInfo as OpenSSL's decoder does", "[tpm]") {
  crypto::EvpPkeyPtr p256 = testing::NewEcKey("prime256v1");
  crypto::EvpPkeyPtr p521 = testing::NewEcKey("secp521r1");
  crypto::EvpPkeyPtr rsa = testing::NewRsaKey(3072);
  Bytes rsa_der = testing::DerPublic(rsa.get());
  // rsaEncryption without its NULL parameters: the AlgorithmIdentifier 30 0d .. 05 00 becomes
  // 30 0b .., and the outer length (30 82 hi lo) shrinks by 2.
  Bytes rsa_no_null = rsa_der;
  REQUIRE((rsa_no_null[4] == 0x30 && rsa_no_null[5] == 0x0d && rsa_no_null[17] == 0x05));
  rsa_no_null.erase(rsa_no_null.begin() + 17, rsa_no_null.begin() + 19);
  rsa_no_null[5] = 0x0b;
  rsa_no_null[3] = static_cast<uint8_t>(rsa_no_null[3] - 2);
  const std::pair<const char*, Bytes> accepted[] = {
      {"p256", testing::DerPublic(p256.get())},
      {"p521", testing::DerPublic(p521.get())},
      {"p256 compressed point",
       DerWith(p256.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed")},
      {"rsa-3072", rsa_der},
      {"rsa without NULL parameters", rsa_no_null},
  };
  for (const auto& [what, der] : accepted) {
    INFO(what);
    crypto::EvpPkeyPtr peer = PeerDecode(der);
    REQUIRE(peer != nullptr);
    auto ak = ParseAkPublic(der);
    REQUIRE(ak.ok());
    CHECK(ak->format == AkFormat::kDer);
    CHECK(EVP_PKEY_eq(ak->key.get(), peer.get()) == 1);
    // Every prefix of a key is refused by both; so is a key with a byte after it.
    for (size_t n = 0; n < der.size(); n += 7) {
      const Bytes prefix(der.begin(), der.begin() + static_cast<long>(n));
      INFO("prefix " << n);
      CHECK(PeerDecode(prefix) == nullptr);
      CHECK(!ParseAkPublic(prefix).ok());
    }
    Bytes padded = der;
    padded.push_back(0);
    CHECK(PeerDecode(padded) == nullptr);
    CHECK(!ParseAkPublic(padded).ok());
  }

  // Decoded by OpenSSL, but no key a TPM AK can be: explicit curve parameters, another curve,
  // another algorithm.
  crypto::EvpPkeyPtr k1 = testing::NewEcKey("secp256k1");
  crypto::EvpPkeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  crypto::EvpPkeyCtxPtr pss_ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA-PSS", nullptr));
  EVP_PKEY* pss_raw = nullptr;
  REQUIRE((pss_ctx != nullptr && EVP_PKEY_keygen_init(pss_ctx.get()) == 1 &&
           EVP_PKEY_CTX_set_rsa_keygen_bits(pss_ctx.get(), 2048) == 1 &&
           EVP_PKEY_keygen(pss_ctx.get(), &pss_raw) == 1));
  crypto::EvpPkeyPtr pss(pss_raw);
  REQUIRE(ed != nullptr);
  const std::pair<const char*, Bytes> refused[] = {
      {"explicit P-256 parameters", DerWith(p256.get(), OSSL_PKEY_PARAM_EC_ENCODING, "explicit")},
      {"secp256k1", testing::DerPublic(k1.get())},
      {"ed25519", testing::DerPublic(ed.get())},
      {"rsa-pss", testing::DerPublic(pss.get())},
  };
  for (const auto& [what, der] : refused) {
    INFO(what);
    CHECK(PeerDecode(der) != nullptr);
    CHECK(ParseAkPublic(der).status().code() == absl::StatusCode::kInvalidArgument);
  }

  // SEQUENCE tags without the constructed bit (0x10, found by ak_public_fuzz), outer or inner:
  // both refuse them.
  Bytes primitive_outer = testing::DerPublic(p256.get());
  primitive_outer[0] = 0x10;
  Bytes primitive_inner = testing::DerPublic(p256.get());
  REQUIRE(primitive_inner[2] == 0x30);
  primitive_inner[2] = 0x10;
  for (const Bytes& der : {primitive_outer, primitive_inner}) {
    CHECK(PeerDecode(der) == nullptr);
    CHECK(ParseAkPublic(der).status().code() == absl::StatusCode::kInvalidArgument);
  }

  // A point off the curve: both refuse it.
  Bytes off_curve = testing::DerPublic(p256.get());
  off_curve.back() ^= 0x01;
  CHECK(PeerDecode(off_curve) == nullptr);
  CHECK(ParseAkPublic(off_curve).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("ParseAkPublic takes the first PUBLIC KEY block of a PEM, nothing else", "[tpm]") {
  crypto::EvpPkeyPtr key = testing::NewEcKey("prime256v1");
  const Bytes pem = testing::PemPublic(key.get());
  const std::string spki(pem.begin(), pem.end());
  std::string body = spki.substr(spki.find('\n') + 1);
  body = body.substr(0, body.find("-----END"));
  auto parse = [](const std::string& text) {
    return ParseAkPublic(Bytes(text.begin(), text.end()));
  };
  // Another block first is skipped, as PEM_read_bio_PUBKEY skips it.
  auto skipped =
      parse(absl::StrCat("-----BEGIN OTHER-----\n", body, "-----END OTHER-----\n", spki));
  REQUIRE(skipped.ok());
  CHECK(EVP_PKEY_eq(skipped->key.get(), key.get()) == 1);
  // The key under any other label, an encrypted block, or no PUBLIC KEY block: refused.
  for (const std::string& text :
       {absl::StrCat("-----BEGIN EC PUBLIC KEY-----\n", body, "-----END EC PUBLIC KEY-----\n"),
        absl::StrCat("-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: "
                     "AES-128-CBC,00000000000000000000000000000000\n\n",
                     body, "-----END PUBLIC KEY-----\n"),
        std::string("-----BEGIN PUBLIC KEY-----\n")}) {
    INFO(text);
    CHECK(parse(text).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("ParseAkPublic gives the same Name for TPM2B_PUBLIC and TPMT_PUBLIC", "[tpm]") {
  crypto::EvpPkeyPtr key = testing::NewEcKey("prime256v1");
  auto a = ParseAkPublic(testing::TpmPublic(key.get(), true));
  auto b = ParseAkPublic(testing::TpmPublic(key.get(), false));
  REQUIRE((a.ok() && b.ok()));
  CHECK(a->tpm->name == b->tpm->name);
  CHECK(a->tpm->name.size() == 34);
}

TEST_CASE("ParseAkPublic rejects truncated and padded TPM structures and garbage", "[tpm]") {
  crypto::EvpPkeyPtr key = testing::NewRsaKey();
  const Bytes tpm2b = testing::TpmPublic(key.get(), true);
  for (size_t n = 0; n < tpm2b.size(); ++n) {
    INFO("length " << n);
    CHECK(ParseAkPublic(std::span<const uint8_t>(tpm2b.data(), n)).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  Bytes padded = tpm2b;
  padded.push_back(0);
  CHECK(ParseAkPublic(padded).status().code() == absl::StatusCode::kInvalidArgument);
  const Bytes text = {'h', 'e', 'l', 'l', 'o'};
  CHECK(ParseAkPublic(text).status().code() == absl::StatusCode::kInvalidArgument);
  const std::string bad_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  CHECK(ParseAkPublic(Bytes(bad_pem.begin(), bad_pem.end())).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("ParseAkPublic refuses a TPM ECC key whose point is not on the curve", "[tpm]") {
  crypto::EvpPkeyPtr key = testing::NewEcKey("prime256v1");
  Bytes tpm2b = testing::TpmPublic(key.get(), true);
  REQUIRE(ParseAkPublic(tpm2b).ok());
  tpm2b.back() ^= 0x01;  // last byte of y
  auto ak = ParseAkPublic(tpm2b);
  CHECK(ak.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("ParseAkPublic refuses keys that cannot be a TPM AK", "[tpm]") {
  crypto::EvpPkeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  REQUIRE(ed != nullptr);
  auto ak = ParseAkPublic(testing::DerPublic(ed.get()));
  CHECK(ak.status().code() == absl::StatusCode::kInvalidArgument);
  crypto::EvpPkeyPtr k1 = testing::NewEcKey("secp256k1");
  CHECK(ParseAkPublic(testing::PemPublic(k1.get())).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bootgate::tpm
