// ParseTpmPublic on real swtpm AKs and on damaged input, the AK attribute checks, the TCG
// default EK public areas, EK/certificate key matching and key fingerprints.
#include "verifier/enroll/tpm_public.h"

#include <tss2/tss2_mu.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/tpm/quote_builder.h"
#include "tests/unit/tpm/swtpm_evidence.h"
#include "verifier/bytes/hex.h"
#include "verifier/crypto/hash.h"

namespace bootgate::enroll {
namespace {

using Bytes = std::vector<uint8_t>;
namespace swtpm = tpm::testing::swtpm;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TPMT_PUBLIC Area(std::span<const uint8_t> tpm2b) {
  auto parsed = ParseTpmPublic(tpm2b);
  REQUIRE(parsed.ok());
  return parsed->area;
}

TEST_CASE("ParseTpmPublic gives the Name the swtpm computed for its AKs", "[enroll]") {
  for (auto [tpm2b, name] : {std::pair{std::span<const uint8_t>(swtpm::kRsaAkTpm2b),
                                       std::span<const uint8_t>(swtpm::kRsaAkName)},
                             std::pair{std::span<const uint8_t>(swtpm::kEccAkTpm2b),
                                       std::span<const uint8_t>(swtpm::kEccAkName)}}) {
    auto parsed = ParseTpmPublic(tpm2b);
    REQUIRE(parsed.ok());
    CHECK(bytes::ToHex(parsed->name) == bytes::ToHex(name));
    CHECK(parsed->area.nameAlg == TPM2_ALG_SHA256);
    // Marshaling the parsed area gives back the input.
    auto again = MarshalTpmtPublic(parsed->area);
    REQUIRE(again.ok());
    CHECK(bytes::ToHex(*again) == bytes::ToHex(tpm2b.subspan(2)));
  }
}

TEST_CASE("ParseTpmPublic refuses truncated, padded and mis-sized input", "[enroll]") {
  const Bytes good(std::begin(swtpm::kRsaAkTpm2b), std::end(swtpm::kRsaAkTpm2b));
  REQUIRE(ParseTpmPublic(good).ok());
  SECTION("every truncation") {
    for (size_t n = 0; n < good.size(); ++n) {
      CAPTURE(n);
      CHECK(ParseTpmPublic(std::span<const uint8_t>(good.data(), n)).status().code() ==
            absl::StatusCode::kInvalidArgument);
    }
  }
  SECTION("a trailing byte after the structure") {
    Bytes padded = good;
    padded.push_back(0);
    auto parsed = ParseTpmPublic(padded);
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(Message(parsed.status()).find("size field says") != std::string::npos);
  }
  SECTION("a trailing byte inside the size") {
    Bytes padded = good;
    padded.push_back(0);
    const uint16_t size = static_cast<uint16_t>(padded.size() - 2);
    padded[0] = uint8_t(size >> 8);
    padded[1] = uint8_t(size);
    auto parsed = ParseTpmPublic(padded);
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(Message(parsed.status()).find("1 bytes inside the size field") != std::string::npos);
  }
  SECTION("a size larger than the input") {
    Bytes bigger = good;
    bigger[1] += 1;
    CHECK(ParseTpmPublic(bigger).status().code() == absl::StatusCode::kInvalidArgument);
  }
  SECTION("an inner size that runs past the area (modulus length +1)") {
    Bytes bad = good;
    // The RSA modulus is the last field: its 2-byte size sits 256 + 2 bytes from the end.
    bad[bad.size() - 258 + 1] += 1;
    CHECK(ParseTpmPublic(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
  SECTION("a nameAlg that is not a hash") {
    Bytes bad = good;
    bad[4] = 0x00;  // nameAlg 0x000b -> 0x0010 (TPM_ALG_NULL)
    bad[5] = 0x10;
    auto parsed = ParseTpmPublic(bad);
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("CheckAkAttributes accepts the swtpm's AKs", "[enroll]") {
  CHECK(CheckAkAttributes(Area(swtpm::kRsaAkTpm2b)).ok());
  CHECK(CheckAkAttributes(Area(swtpm::kEccAkTpm2b)).ok());
}

TEST_CASE("CheckAkAttributes names every missing and extra attribute", "[enroll]") {
  const TPMT_PUBLIC good = Area(swtpm::kRsaAkTpm2b);
  const std::pair<uint32_t, const char*> required[] = {
      {TPMA_OBJECT_FIXEDTPM, "fixedTPM"},
      {TPMA_OBJECT_FIXEDPARENT, "fixedParent"},
      {TPMA_OBJECT_SENSITIVEDATAORIGIN, "sensitiveDataOrigin"},
      {TPMA_OBJECT_RESTRICTED, "restricted"},
      {TPMA_OBJECT_SIGN_ENCRYPT, "sign"},
  };
  for (auto [bit, name] : required) {
    CAPTURE(name);
    TPMT_PUBLIC ak = good;
    ak.objectAttributes &= ~bit;
    const absl::Status s = CheckAkAttributes(ak);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(Message(s) == std::string("AK attributes: missing ") + name);
  }
  TPMT_PUBLIC ak = good;
  ak.objectAttributes &= ~TPMA_OBJECT_FIXEDTPM;
  ak.objectAttributes |= TPMA_OBJECT_DECRYPT;
  CHECK(Message(CheckAkAttributes(ak)) == "AK attributes: missing fixedTPM; has decrypt");
  ak.objectAttributes = TPMA_OBJECT_DECRYPT;
  CHECK(Message(CheckAkAttributes(ak)) ==
        "AK attributes: missing fixedTPM, fixedParent, sensitiveDataOrigin, restricted, sign; "
        "has decrypt");
}

TEST_CASE("CheckAkAttributes refuses weak nameAlgs and non-signing key types", "[enroll]") {
  TPMT_PUBLIC ak = Area(swtpm::kEccAkTpm2b);
  ak.nameAlg = TPM2_ALG_SHA1;
  CHECK(Message(CheckAkAttributes(ak)) ==
        "AK nameAlg sha1 is not SHA-256 or stronger (sha256, sha384, sha512)");
  ak.nameAlg = TPM2_ALG_SHA384;
  CHECK(CheckAkAttributes(ak).ok());
  ak.type = TPM2_ALG_KEYEDHASH;
  CHECK(Message(CheckAkAttributes(ak)) == "AK type 0x0008 is not RSA or ECC");
}

TEST_CASE("DefaultEkPublic fills the TCG L-1 (RSA-2048) and L-2 (P-256) templates", "[enroll]") {
  const uint8_t policy[] = {0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
                            0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
                            0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};
  for (bool rsa : {true, false}) {
    CAPTURE(rsa);
    crypto::EvpPkeyPtr key =
        rsa ? tpm::testing::NewRsaKey(2048) : tpm::testing::NewEcKey("prime256v1");
    auto ek = DefaultEkPublic(key.get());
    REQUIRE(ek.ok());
    CHECK(ek->nameAlg == TPM2_ALG_SHA256);
    CHECK(ek->objectAttributes == 0x000300b2);  // the value the EK Credential Profile lists
    CHECK(bytes::ToHex({ek->authPolicy.buffer, ek->authPolicy.size}) == bytes::ToHex(policy));
    const TPMT_SYM_DEF_OBJECT& sym =
        rsa ? ek->parameters.rsaDetail.symmetric : ek->parameters.eccDetail.symmetric;
    CHECK(sym.algorithm == TPM2_ALG_AES);
    CHECK(sym.keyBits.aes == 128);
    CHECK(sym.mode.aes == TPM2_ALG_CFB);
    if (rsa) {
      CHECK(ek->type == TPM2_ALG_RSA);
      CHECK(ek->parameters.rsaDetail.keyBits == 2048);
      CHECK(ek->parameters.rsaDetail.exponent == 0);
      CHECK(ek->unique.rsa.size == 256);
    } else {
      CHECK(ek->type == TPM2_ALG_ECC);
      CHECK(ek->parameters.eccDetail.curveID == TPM2_ECC_NIST_P256);
      CHECK(ek->unique.ecc.x.size == 32);
      CHECK(ek->unique.ecc.y.size == 32);
    }
    CHECK(CheckEkMatchesKey(*ek, key.get()).ok());
    auto marshaled = MarshalTpmtPublic(*ek);
    REQUIRE(marshaled.ok());
    CHECK(marshaled->size() == (rsa ? 314u : 122u));
  }
}

TEST_CASE("DefaultEkPublic refuses keys no default template makes", "[enroll]") {
  CHECK(DefaultEkPublic(tpm::testing::NewRsaKey(3072).get()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(DefaultEkPublic(tpm::testing::NewEcKey("secp384r1").get()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  // RSA-2048 with exponent 3: the template's exponent field would have to say so.
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  crypto::BignumPtr three(BN_new());
  REQUIRE(BN_set_word(three.get(), 3) == 1);
  EVP_PKEY* raw = nullptr;
  REQUIRE(EVP_PKEY_keygen_init(ctx.get()) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048) == 1);
  REQUIRE(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), three.get()) == 1);
  REQUIRE(EVP_PKEY_keygen(ctx.get(), &raw) == 1);
  crypto::EvpPkeyPtr e3(raw);
  auto refused = DefaultEkPublic(e3.get());
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(refused.status()) == "EK key: RSA exponent 3 is not the default template's 65537");
  crypto::EvpPkeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  CHECK(DefaultEkPublic(ed.get()).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(DefaultEkPublic(nullptr).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("CheckEkMatchesKey tells another key apart", "[enroll]") {
  crypto::EvpPkeyPtr rsa = tpm::testing::NewRsaKey(2048);
  crypto::EvpPkeyPtr other_rsa = tpm::testing::NewRsaKey(2048);
  crypto::EvpPkeyPtr ec = tpm::testing::NewEcKey("prime256v1");
  auto ek = DefaultEkPublic(rsa.get());
  REQUIRE(ek.ok());
  for (EVP_PKEY* key : {other_rsa.get(), ec.get()}) {
    const absl::Status s = CheckEkMatchesKey(*ek, key);
    CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
    CHECK(Message(s) == "the EK public area does not match the EK certificate's key");
  }
  // One bit of the modulus.
  TPMT_PUBLIC changed = *ek;
  changed.unique.rsa.buffer[100] ^= 0x01;
  CHECK(CheckEkMatchesKey(changed, rsa.get()).code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("KeyFingerprint is the SHA-256 of the DER SubjectPublicKeyInfo", "[enroll]") {
  crypto::EvpPkeyPtr key = tpm::testing::NewEcKey("prime256v1");
  auto fp = KeyFingerprint(key.get());
  REQUIRE(fp.ok());
  auto expected = crypto::Hash(crypto::HashAlg::kSha256, tpm::testing::DerPublic(key.get()));
  REQUIRE(expected.ok());
  CHECK(*fp == bytes::ToHex(*expected));
  CHECK(fp->size() == 64);
  CHECK(*KeyFingerprint(tpm::testing::NewEcKey("prime256v1").get()) != *fp);
  CHECK(KeyFingerprint(nullptr).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bootgate::enroll
