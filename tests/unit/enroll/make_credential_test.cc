// MakeCredential round trips: the test holds the EK private key and plays the TPM's
// ActivateCredential (tests/unit/enroll/software_activate.h) for RSA and ECC EKs; wrong
// Names and damaged credentials must not release the secret; bad inputs are refused.
#include "verifier/enroll/make_credential.h"

#include <openssl/rand.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/enroll/software_activate.h"
#include "tests/unit/tpm/quote_builder.h"
#include "tests/unit/tpm/swtpm_evidence.h"
#include "verifier/bytes/hex.h"
#include "verifier/enroll/tpm_public.h"

namespace bootgate::enroll {
namespace {

using Bytes = std::vector<uint8_t>;
namespace swtpm = tpm::testing::swtpm;

const Bytes kAkName(std::begin(swtpm::kRsaAkName), std::end(swtpm::kRsaAkName));
const Bytes kOtherName(std::begin(swtpm::kEccAkName), std::end(swtpm::kEccAkName));

Bytes Random(size_t n) {
  Bytes out(n);
  REQUIRE(RAND_bytes(out.data(), static_cast<int>(n)) == 1);
  return out;
}

struct Ek {
  crypto::EvpPkeyPtr key;
  TPMT_PUBLIC pub;
};

Ek MakeEk(bool rsa) {
  Ek ek{rsa ? tpm::testing::NewRsaKey(2048) : tpm::testing::NewEcKey("prime256v1"), {}};
  auto pub = DefaultEkPublic(ek.key.get());
  REQUIRE(pub.ok());
  ek.pub = *pub;
  return ek;
}

TEST_CASE("MakeCredential round trips through ActivateCredential (RSA and ECC EKs)", "[enroll]") {
  for (bool rsa : {true, false}) {
    CAPTURE(rsa);
    const Ek ek = MakeEk(rsa);
    for (size_t secret_size : {size_t{1}, size_t{16}, size_t{32}}) {
      CAPTURE(secret_size);
      const Bytes secret = Random(secret_size);
      auto credential = MakeCredential(ek.pub, kAkName, secret);
      REQUIRE(credential.ok());
      // TPM2B_ID_OBJECT: size || TPM2B_DIGEST integrityHMAC (SHA-256) || encIdentity.
      CHECK(credential->credential_blob.size() == 2 + 2 + 32 + 2 + secret_size);
      // RSA-2048: the OAEP ciphertext; ECC: TPMS_ECC_POINT of 32-byte coordinates.
      CHECK(credential->encrypted_secret.size() == (rsa ? 2u + 256 : 2u + 2 + 32 + 2 + 32));

      auto released = testing::ActivateCredential(ek.key.get(), ek.pub, kAkName, *credential);
      REQUIRE(released.ok());
      CHECK(bytes::ToHex(*released) == bytes::ToHex(secret));

      // The credential was made for kAkName: another object's Name fails the integrity check.
      auto wrong = testing::ActivateCredential(ek.key.get(), ek.pub, kOtherName, *credential);
      CHECK(wrong.status().code() == absl::StatusCode::kInvalidArgument);
      CHECK(std::string(wrong.status().message()).find("integrity") != std::string::npos);
    }
  }
}

TEST_CASE("MakeCredential uses the EK's nameAlg and symmetric key size", "[enroll]") {
  Ek ek = MakeEk(false);
  ek.pub.nameAlg = TPM2_ALG_SHA384;
  ek.pub.parameters.eccDetail.symmetric.keyBits.aes = 256;
  const Bytes secret = Random(48);  // a SHA-384 digest's worth
  auto credential = MakeCredential(ek.pub, kAkName, secret);
  REQUIRE(credential.ok());
  CHECK(credential->credential_blob.size() == 2 + 2 + 48 + 2 + 48);
  auto released = testing::ActivateCredential(ek.key.get(), ek.pub, kAkName, *credential);
  REQUIRE(released.ok());
  CHECK(*released == secret);
  // The seed is 48 bytes: a SHA-384 KDFe output.
  auto seed = testing::RecoverSeed(ek.key.get(), ek.pub, credential->encrypted_secret);
  REQUIRE(seed.ok());
  CHECK(seed->size() == 48);
}

TEST_CASE("Each MakeCredential has a fresh seed; the seeded part is deterministic", "[enroll]") {
  const Ek ek = MakeEk(true);
  const Bytes secret = Random(32);
  auto a = MakeCredential(ek.pub, kAkName, secret);
  auto b = MakeCredential(ek.pub, kAkName, secret);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->encrypted_secret != b->encrypted_secret);
  CHECK(a->credential_blob != b->credential_blob);

  auto seed = testing::RecoverSeed(ek.key.get(), ek.pub, a->encrypted_secret);
  REQUIRE(seed.ok());
  CHECK(seed->size() == 32);
  auto again = MakeCredentialWithSeed(ek.pub, kAkName, secret, *seed, a->encrypted_secret);
  REQUIRE(again.ok());
  CHECK(bytes::ToHex(again->credential_blob) == bytes::ToHex(a->credential_blob));
  CHECK(again->encrypted_secret == a->encrypted_secret);
}

TEST_CASE("A damaged credential releases nothing", "[enroll]") {
  for (bool rsa : {true, false}) {
    CAPTURE(rsa);
    const Ek ek = MakeEk(rsa);
    auto credential = MakeCredential(ek.pub, kAkName, Random(32));
    REQUIRE(credential.ok());
    for (size_t i = 2; i < credential->credential_blob.size(); ++i) {
      CAPTURE(i);
      Credential damaged = *credential;
      damaged.credential_blob[i] ^= 0x40;
      CHECK_FALSE(testing::ActivateCredential(ek.key.get(), ek.pub, kAkName, damaged).ok());
    }
    Credential damaged = *credential;
    damaged.encrypted_secret[10] ^= 0x01;
    CHECK_FALSE(testing::ActivateCredential(ek.key.get(), ek.pub, kAkName, damaged).ok());
  }
}

TEST_CASE("MakeCredential refuses unusable EKs, Names and secrets", "[enroll]") {
  const Ek ek = MakeEk(true);
  auto code = [](const absl::StatusOr<Credential>& r) { return r.status().code(); };
  auto message = [](const absl::StatusOr<Credential>& r) {
    return std::string(r.status().message());
  };
  const Bytes secret = Random(16);

  auto too_long = MakeCredential(ek.pub, kAkName, Random(33));
  CHECK(code(too_long) == absl::StatusCode::kInvalidArgument);
  CHECK(message(too_long) ==
        "credential secret: 33 bytes; need 1 to 32 (the digest size of the EK's nameAlg sha256)");
  CHECK(code(MakeCredential(ek.pub, kAkName, {})) == absl::StatusCode::kInvalidArgument);

  Bytes short_name(kAkName.begin(), kAkName.end() - 1);
  CHECK(message(MakeCredential(ek.pub, short_name, secret)) ==
        "AK name: 33 bytes, but a sha256 Name has 34");
  Bytes odd_alg = kAkName;
  odd_alg[1] = 0x10;  // TPM_ALG_NULL
  CHECK(message(MakeCredential(ek.pub, odd_alg, secret)) ==
        "AK name: algorithm 0x0010 is not a hash algorithm");
  CHECK(code(MakeCredential(ek.pub, Bytes{0x00}, secret)) == absl::StatusCode::kInvalidArgument);

  // An AK is a signing key: no credential can be made for it as "EK".
  auto ak = ParseTpmPublic(swtpm::kRsaAkTpm2b);
  REQUIRE(ak.ok());
  CHECK(message(MakeCredential(ak->area, kAkName, secret)) ==
        "EK public area: not a restricted decryption key (objectAttributes 0x00050072)");

  TPMT_PUBLIC no_aes = ek.pub;
  no_aes.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
  CHECK(code(MakeCredential(no_aes, kAkName, secret)) == absl::StatusCode::kInvalidArgument);
  TPMT_PUBLIC cbc = ek.pub;
  cbc.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CBC;
  CHECK(code(MakeCredential(cbc, kAkName, secret)) == absl::StatusCode::kInvalidArgument);
  TPMT_PUBLIC weird_name_alg = ek.pub;
  weird_name_alg.nameAlg = TPM2_ALG_NULL;
  CHECK(code(MakeCredential(weird_name_alg, kAkName, secret)) ==
        absl::StatusCode::kInvalidArgument);
  TPMT_PUBLIC unknown_curve = MakeEk(false).pub;
  unknown_curve.parameters.eccDetail.curveID = TPM2_ECC_BN_P256;
  CHECK(code(MakeCredential(unknown_curve, kAkName, secret)) == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("MakeCredentialWithSeed checks the seed and its envelope", "[enroll]") {
  const Ek ek = MakeEk(true);
  const Bytes secret = Random(16);
  const Bytes seed = Random(32);
  Bytes envelope = {0x00, 0x04, 1, 2, 3, 4};
  CHECK(MakeCredentialWithSeed(ek.pub, kAkName, secret, seed, envelope).ok());
  CHECK(MakeCredentialWithSeed(ek.pub, kAkName, secret, Random(31), envelope).status().code() ==
        absl::StatusCode::kInvalidArgument);
  for (const Bytes& bad : {Bytes{}, Bytes{0x00}, Bytes{0x00, 0x00}, Bytes{0x00, 0x05, 1, 2, 3, 4},
                           Bytes{0x00, 0x03, 1, 2, 3, 4}}) {
    CAPTURE(bytes::ToHex(bad));
    CHECK(MakeCredentialWithSeed(ek.pub, kAkName, secret, seed, bad).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace bootgate::enroll
