// The pure parts of `bootgate enroll`'s TPM side: the EK and AK templates, the bounded
// unmarshalling of the server's credential, DER padding from NV, TPM_RC_HANDLE detection.
#include <tss2/tss2_mu.h>

#include <catch2/catch.hpp>
#include <vector>

#include "cli/esys_support.h"
#include "cli/tpm_enrollment.h"
#include "verifier/bytes/hex.h"

namespace bootgate::cli {
namespace {

std::vector<uint8_t> Tpm2b(uint16_t size_field, size_t actual_bytes) {
  std::vector<uint8_t> out = {static_cast<uint8_t>(size_field >> 8),
                              static_cast<uint8_t>(size_field & 0xff)};
  out.resize(2 + actual_bytes, 0xa5);
  return out;
}

TEST_CASE("the EK template is the TCG default RSA 2048 template L-1", "[cli_agent]") {
  const TPMT_PUBLIC t = RsaEkTemplate().publicArea;
  CHECK(t.type == TPM2_ALG_RSA);
  CHECK(t.nameAlg == TPM2_ALG_SHA256);
  // fixedTPM|fixedParent|sensitiveDataOrigin|adminWithPolicy|restricted|decrypt
  CHECK(t.objectAttributes == 0x000300b2u);
  CHECK(bytes::ToHex(std::span(t.authPolicy.buffer, t.authPolicy.size)) ==
        "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");
  CHECK(t.parameters.rsaDetail.symmetric.algorithm == TPM2_ALG_AES);
  CHECK(t.parameters.rsaDetail.symmetric.keyBits.aes == 128);
  CHECK(t.parameters.rsaDetail.symmetric.mode.aes == TPM2_ALG_CFB);
  CHECK(t.parameters.rsaDetail.scheme.scheme == TPM2_ALG_NULL);
  CHECK(t.parameters.rsaDetail.keyBits == 2048);
  CHECK(t.parameters.rsaDetail.exponent == 0);
  REQUIRE(t.unique.rsa.size == 256);
  CHECK(std::all_of(t.unique.rsa.buffer, t.unique.rsa.buffer + 256,
                    [](uint8_t b) { return b == 0; }));
  // The template marshals to the 314-byte TPMT_PUBLIC every L-1 EK has (the key replaces the
  // zeros of `unique`, same size).
  uint8_t buffer[sizeof(TPMT_PUBLIC)];
  size_t offset = 0;
  REQUIRE(Tss2_MU_TPMT_PUBLIC_Marshal(&t, buffer, sizeof(buffer), &offset) == TSS2_RC_SUCCESS);
  CHECK(offset == 314);
}

TEST_CASE("the ECC EK template is the TCG default ECC NIST P-256 template L-2", "[cli_agent]") {
  const TPMT_PUBLIC t = EccEkTemplate().publicArea;
  CHECK(t.type == TPM2_ALG_ECC);
  CHECK(t.nameAlg == TPM2_ALG_SHA256);
  CHECK(t.objectAttributes == 0x000300b2u);  // as L-1
  CHECK(bytes::ToHex(std::span(t.authPolicy.buffer, t.authPolicy.size)) ==
        "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");
  CHECK(t.parameters.eccDetail.symmetric.algorithm == TPM2_ALG_AES);
  CHECK(t.parameters.eccDetail.symmetric.keyBits.aes == 128);
  CHECK(t.parameters.eccDetail.symmetric.mode.aes == TPM2_ALG_CFB);
  CHECK(t.parameters.eccDetail.scheme.scheme == TPM2_ALG_NULL);
  CHECK(t.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256);
  CHECK(t.parameters.eccDetail.kdf.scheme == TPM2_ALG_NULL);
  REQUIRE(t.unique.ecc.x.size == 32);
  REQUIRE(t.unique.ecc.y.size == 32);
  CHECK(std::all_of(t.unique.ecc.x.buffer, t.unique.ecc.x.buffer + 32,
                    [](uint8_t b) { return b == 0; }));
  CHECK(std::all_of(t.unique.ecc.y.buffer, t.unique.ecc.y.buffer + 32,
                    [](uint8_t b) { return b == 0; }));
  // TPM 2.0 Part 2, TPMT_PUBLIC: type 2 + nameAlg 2 + attributes 4 + authPolicy 2+32 +
  // symmetric 6 + scheme 2 + curveID 2 + kdf 2 + x 2+32 + y 2+32 = 122 bytes.
  uint8_t buffer[sizeof(TPMT_PUBLIC)];
  size_t offset = 0;
  REQUIRE(Tss2_MU_TPMT_PUBLIC_Marshal(&t, buffer, sizeof(buffer), &offset) == TSS2_RC_SUCCESS);
  CHECK(offset == 122);
}

TEST_CASE("the AK template is tpm2_createak -G rsa -g sha256 -s rsassa", "[cli_agent]") {
  const TPMT_PUBLIC t = RsaAkTemplate().publicArea;
  CHECK(t.type == TPM2_ALG_RSA);
  CHECK(t.nameAlg == TPM2_ALG_SHA256);
  // fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign (tpm2_readpublic:
  // 0x50072)
  CHECK(t.objectAttributes == 0x00050072u);
  CHECK((t.objectAttributes & TPMA_OBJECT_DECRYPT) == 0);
  CHECK(t.authPolicy.size == 0);
  CHECK(t.parameters.rsaDetail.symmetric.algorithm == TPM2_ALG_NULL);
  CHECK(t.parameters.rsaDetail.scheme.scheme == TPM2_ALG_RSASSA);
  CHECK(t.parameters.rsaDetail.scheme.details.rsassa.hashAlg == TPM2_ALG_SHA256);
  CHECK(t.parameters.rsaDetail.keyBits == 2048);
  CHECK(t.unique.rsa.size == 0);
}

TEST_CASE("the server's credential is unmarshalled exactly, within the structures' bounds",
          "[cli_agent]") {
  // What MakeCredential makes for an RSA 2048 EK: a 68-byte ID object (integrity HMAC + the
  // encrypted credential) and a 256-byte RSA-OAEP secret.
  const std::vector<uint8_t> blob = Tpm2b(68, 68);
  const std::vector<uint8_t> secret = Tpm2b(256, 256);
  absl::StatusOr<CredentialChallenge> c = ParseCredentialChallenge(blob, secret);
  REQUIRE(c.ok());
  CHECK(c->credential_blob.size == 68);
  CHECK(c->credential_blob.credential[67] == 0xa5);
  CHECK(c->encrypted_secret.size == 256);

  struct Case {
    const char* what;
    std::vector<uint8_t> blob;
    std::vector<uint8_t> secret;
    const char* field;
  };
  const std::vector<Case> bad = {
      {"empty blob", {}, secret, "credential_blob"},
      {"one byte", {0x00}, secret, "credential_blob"},
      {"size says more than sent", Tpm2b(68, 40), secret, "credential_blob"},
      {"trailing bytes", Tpm2b(68, 69), secret, "credential_blob"},
      {"size beyond TPM2B_ID_OBJECT", Tpm2b(0xffff, 0xffff), secret, "credential_blob"},
      {"empty secret", blob, {}, "encrypted_secret"},
      {"secret truncated", blob, Tpm2b(256, 255), "encrypted_secret"},
      {"secret trailing", blob, Tpm2b(256, 257), "encrypted_secret"},
      {"size beyond TPM2B_ENCRYPTED_SECRET", blob,
       Tpm2b(sizeof(TPMU_ENCRYPTED_SECRET) + 1, sizeof(TPMU_ENCRYPTED_SECRET) + 1),
       "encrypted_secret"},
  };
  for (const Case& b : bad) {
    INFO(b.what);
    absl::StatusOr<CredentialChallenge> r = ParseCredentialChallenge(b.blob, b.secret);
    REQUIRE(r.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(r.status().message()), Catch::Contains(b.field));
  }
}

TEST_CASE("a DER certificate read from NV loses the index's padding only", "[cli_agent]") {
  std::vector<uint8_t> cert = {0x30, 0x82, 0x01, 0x00};  // SEQUENCE of 256 bytes
  cert.resize(4 + 256, 0x11);
  CHECK(DerLength(cert) == 260);
  std::vector<uint8_t> padded = cert;
  padded.resize(1024, 0x00);
  CHECK(DerLength(padded) == 260);
  CHECK(DerLength(std::vector<uint8_t>{0x30, 0x03, 1, 2, 3, 0, 0}) == 5);
  CHECK(DerLength(std::vector<uint8_t>{0x30, 0x81, 0x02, 1, 2, 0xff}) == 5);
  // Not shorter than the data, or not a DER SEQUENCE: left alone for the server to judge.
  CHECK(DerLength(std::vector<uint8_t>{0x30, 0x82, 0x01, 0x00, 1, 2}) == 6);
  CHECK(DerLength(std::vector<uint8_t>{0x04, 0x01, 1, 0}) == 4);
  CHECK(DerLength(std::vector<uint8_t>{0x30, 0x84, 0, 0, 0, 1, 1, 0}) == 8);
  CHECK(DerLength(std::vector<uint8_t>{0x30, 0x82, 0x01}) == 3);
  CHECK(DerLength(std::vector<uint8_t>{0x30}) == 1);
  CHECK(DerLength(std::vector<uint8_t>{}) == 0);
  const std::string pem = "-----BEGIN CERTIFICATE-----\n";
  CHECK(DerLength(std::span(reinterpret_cast<const uint8_t*>(pem.data()), pem.size())) ==
        pem.size());
}

TEST_CASE("an empty persistent handle or NV index is TPM_RC_HANDLE from the TPM itself",
          "[cli_agent]") {
  CHECK(IsHandleMissing(0x18b));  // TPM_RC_HANDLE + TPM_RC_1 (handle 1)
  CHECK(IsHandleMissing(0x28b));  // handle 2
  CHECK_FALSE(IsHandleMissing(TSS2_RC_SUCCESS));
  CHECK_FALSE(IsHandleMissing(0x184));       // TPM_RC_VALUE
  CHECK_FALSE(IsHandleMissing(0x0101));      // TPM_RC_FAILURE (format zero)
  CHECK_FALSE(IsHandleMissing(0x0007018b));  // an ESAPI-layer code with the same low bits
  CHECK_FALSE(IsHandleMissing(0x000a000a));  // TCTI: I/O error
}

}  // namespace
}  // namespace bootgate::cli
