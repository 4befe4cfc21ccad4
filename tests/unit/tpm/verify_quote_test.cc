#include "verifier/tpm/verify_quote.h"

#include <catch2/catch.hpp>

#include "tests/unit/tpm/quote_builder.h"
#include "tests/unit/tpm/swtpm_evidence.h"
#include "tests/unit/tpm/test_util.h"
#include "verifier/bytes/hex.h"
#include "verifier/tpm/ak_public.h"
#include "verifier/tpm/pcr_digest.h"
#include "verifier/tpm/pcr_file.h"

namespace bootgate::tpm {
namespace {

using crypto::HashAlg;
using testing::AttestFields;
using testing::Bytes;
using testing::RejectionName;

const Bytes kSwtpmNonce =
    *bytes::FromHex("5eed1a2b3c4d5e6f00112233445566778899aabbccddeeff0011223344556677");

QuoteExpectations Expect(Bytes nonce, PcrSelection required = {}) {
  QuoteExpectations e;
  e.nonce = std::move(nonce);
  e.required_pcrs = std::move(required);
  return e;
}

// A signed quote over `values` for `selection`, by `key`.
struct Signed {
  Bytes message;
  Bytes signature;
};

Signed MakeQuote(EVP_PKEY* key, uint16_t scheme, const PcrSelection& selection,
                 const crypto::PcrValues& values, AttestFields fields = {}) {
  fields.selection.clear();
  for (const PcrBankSelection& b : selection) {
    fields.selection.push_back({static_cast<uint16_t>(b.bank), b.pcrs});
  }
  fields.pcr_digest = *ComputePcrDigest(HashAlg::kSha256, selection, values);
  Signed s;
  s.message = testing::MarshalAttest(fields);
  s.signature = testing::SignTpm(key, scheme, TPM2_ALG_SHA256, s.message);
  return s;
}

TEST_CASE("VerifyQuote and CheckPcrDigest accept the swtpm quotes", "[tpm]") {
  struct Case {
    std::span<const uint8_t> ak, msg, sig, pcrs;
  };
  for (const Case& c : {Case{testing::swtpm::kRsaAkTpm2b, testing::swtpm::kRsaQuoteMsg,
                             testing::swtpm::kRsaQuoteSig, testing::swtpm::kRsaQuotePcrs},
                        Case{testing::swtpm::kEccAkTpm2b, testing::swtpm::kEccQuoteMsg,
                             testing::swtpm::kEccQuoteSig, testing::swtpm::kEccQuotePcrs}}) {
    auto ak = ParseAkPublic(c.ak);
    REQUIRE(ak.ok());
    auto verified = VerifyQuote({.message = c.msg, .signature = c.sig, .ak = ak->key.get()},
                                Expect(kSwtpmNonce, {{HashAlg::kSha256, {0, 4, 7}}}));
    REQUIRE(verified.ok());
    auto file = ParseTpm2ToolsPcrFile(c.pcrs);
    REQUIRE(file.ok());
    CHECK(CheckPcrDigest(*verified, file->values).ok());
  }
}

TEST_CASE("VerifyQuote rejects a nonce that differs, naming both", "[tpm]") {
  auto ak = ParseAkPublic(testing::swtpm::kRsaAkTpm2b);
  REQUIRE(ak.ok());
  Bytes other = kSwtpmNonce;
  other.back() ^= 1;
  auto v = VerifyQuote({testing::swtpm::kRsaQuoteMsg, testing::swtpm::kRsaQuoteSig, ak->key.get()},
                       Expect(other));
  CHECK(RejectionName(v.status()) == "nonce-mismatch");
  CHECK(testing::Contains(v.status(), "quote nonce " + bytes::ToHex(kSwtpmNonce) +
                                          " does not match the expected nonce " +
                                          bytes::ToHex(other)));
  // A prefix of the nonce is not the nonce.
  auto prefix =
      VerifyQuote({testing::swtpm::kRsaQuoteMsg, testing::swtpm::kRsaQuoteSig, ak->key.get()},
                  Expect(Bytes(kSwtpmNonce.begin(), kSwtpmNonce.begin() + 16)));
  CHECK(RejectionName(prefix.status()) == "nonce-mismatch");
}

TEST_CASE("VerifyQuote refuses to run without an expected nonce or an AK", "[tpm]") {
  auto ak = ParseAkPublic(testing::swtpm::kRsaAkTpm2b);
  REQUIRE(ak.ok());
  CHECK(VerifyQuote({testing::swtpm::kRsaQuoteMsg, testing::swtpm::kRsaQuoteSig, ak->key.get()},
                    Expect({}))
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  CHECK(VerifyQuote({testing::swtpm::kRsaQuoteMsg, testing::swtpm::kRsaQuoteSig, nullptr},
                    Expect(kSwtpmNonce))
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
}

QuoteExpectations Unchecked(PcrSelection required = {}) {
  QuoteExpectations e;
  e.freshness = Freshness::kNotCheckedOfflineOnly;
  e.required_pcrs = std::move(required);
  return e;
}

TEST_CASE("VerifyQuote requires a nonce unless the caller opts out explicitly", "[tpm]") {
  CHECK(QuoteExpectations{}.freshness == Freshness::kRequireNonce);
  // A cloud vTPM quote captured elsewhere: SHA-1 over PCRs 0-23, empty qualifying data.
  crypto::EvpPkeyPtr key = testing::NewRsaKey();
  PcrSelection sel = {{HashAlg::kSha1, {}}};
  for (uint32_t pcr = 0; pcr < 24; ++pcr) sel[0].pcrs.push_back(pcr);
  AttestFields fields;
  fields.nonce.clear();
  const crypto::PcrValues values = testing::SamplePcrs(sel);
  const Signed q = MakeQuote(key.get(), TPM2_ALG_RSASSA, sel, values, fields);
  auto refused = VerifyQuote({q.message, q.signature, key.get()}, Expect({}));
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(testing::Contains(refused.status(), "no expected nonce given"));

  auto verified = VerifyQuote({q.message, q.signature, key.get()}, Unchecked());
  REQUIRE(verified.ok());
  CHECK_FALSE(verified->freshness_checked);
  CHECK(verified->quote.extra_data.empty());
  CHECK(CheckPcrDigest(*verified, values).ok());
}

TEST_CASE("VerifyQuote without the freshness check still verifies a quote that has a nonce",
          "[tpm]") {
  auto ak = ParseAkPublic(testing::swtpm::kRsaAkTpm2b);
  REQUIRE(ak.ok());
  auto verified =
      VerifyQuote({testing::swtpm::kRsaQuoteMsg, testing::swtpm::kRsaQuoteSig, ak->key.get()},
                  Unchecked({{HashAlg::kSha256, {0, 4, 7}}}));
  REQUIRE(verified.ok());
  CHECK_FALSE(verified->freshness_checked);
  CHECK(verified->quote.extra_data == kSwtpmNonce);
  auto file = ParseTpm2ToolsPcrFile(testing::swtpm::kRsaQuotePcrs);
  REQUIRE(file.ok());
  CHECK(CheckPcrDigest(*verified, file->values).ok());
  // With the check (the default), the same quote says so.
  auto checked =
      VerifyQuote({testing::swtpm::kRsaQuoteMsg, testing::swtpm::kRsaQuoteSig, ak->key.get()},
                  Expect(kSwtpmNonce));
  REQUIRE(checked.ok());
  CHECK(checked->freshness_checked);
}

TEST_CASE("VerifyQuote refuses an expected nonce together with no freshness check", "[tpm]") {
  auto ak = ParseAkPublic(testing::swtpm::kRsaAkTpm2b);
  REQUIRE(ak.ok());
  QuoteExpectations e = Unchecked();
  e.nonce = kSwtpmNonce;
  auto v =
      VerifyQuote({testing::swtpm::kRsaQuoteMsg, testing::swtpm::kRsaQuoteSig, ak->key.get()}, e);
  CHECK(v.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("VerifyQuote without the freshness check still rejects every other defect", "[tpm]") {
  crypto::EvpPkeyPtr key = testing::NewRsaKey();
  crypto::EvpPkeyPtr other = testing::NewRsaKey();
  const PcrSelection sel = {{HashAlg::kSha256, {0, 1}}};
  AttestFields fields;
  fields.nonce.clear();
  const Signed q = MakeQuote(key.get(), TPM2_ALG_RSASSA, sel, testing::SamplePcrs(sel), fields);
  CHECK(RejectionName(VerifyQuote({q.message, q.signature, other.get()}, Unchecked()).status()) ==
        "bad-signature");
  CHECK(RejectionName(
            VerifyQuote({q.message, q.signature, key.get()}, Unchecked({{HashAlg::kSha256, {7}}}))
                .status()) == "pcr-selection-missing");
  AttestFields bad_magic = fields;
  bad_magic.magic = 0x12345678;
  const Bytes magic_msg = testing::MarshalAttest(bad_magic);
  const Bytes magic_sig = testing::SignTpm(key.get(), TPM2_ALG_RSASSA, TPM2_ALG_SHA256, magic_msg);
  CHECK(RejectionName(VerifyQuote({magic_msg, magic_sig, key.get()}, Unchecked()).status()) ==
        "bad-magic");
  auto ak = ParseAkPublic(testing::swtpm::kRsaAkTpm2b);
  REQUIRE(ak.ok());
  CHECK(
      RejectionName(VerifyQuote({testing::swtpm::kTimeMsg, testing::swtpm::kTimeSig, ak->key.get()},
                                Unchecked())
                        .status()) == "not-a-quote");
  // The PCR digest is still bound: changed values do not match.
  auto verified = VerifyQuote({q.message, q.signature, key.get()}, Unchecked());
  REQUIRE(verified.ok());
  crypto::PcrValues changed = testing::SamplePcrs(sel);
  changed[HashAlg::kSha256][1][0] ^= 1;
  CHECK(RejectionName(CheckPcrDigest(*verified, changed)) == "pcr-digest-mismatch");
}

TEST_CASE("VerifyQuote refuses a validly signed attestation that is not a quote", "[tpm]") {
  auto ak = ParseAkPublic(testing::swtpm::kRsaAkTpm2b);
  REQUIRE(ak.ok());
  // The time attestation's signature is valid...
  REQUIRE(
      VerifyTpmSignature(testing::swtpm::kTimeMsg, testing::swtpm::kTimeSig, ak->key.get()).ok());
  // ...and still it proves no PCR state.
  auto v = VerifyQuote({testing::swtpm::kTimeMsg, testing::swtpm::kTimeSig, ak->key.get()},
                       Expect(kSwtpmNonce));
  CHECK(RejectionName(v.status()) == "not-a-quote");

  crypto::EvpPkeyPtr key = testing::NewEcKey("prime256v1");
  AttestFields f;
  f.magic = 0x12345678;
  const Bytes msg = testing::MarshalAttest(f);
  const Bytes sig = testing::SignTpm(key.get(), TPM2_ALG_ECDSA, TPM2_ALG_SHA256, msg);
  CHECK(RejectionName(VerifyQuote({msg, sig, key.get()}, Expect(f.nonce)).status()) == "bad-magic");
}

TEST_CASE("VerifyQuote rejects a quote signed by another AK", "[tpm]") {
  crypto::EvpPkeyPtr key = testing::NewRsaKey();
  crypto::EvpPkeyPtr other = testing::NewRsaKey();
  const PcrSelection sel = {{HashAlg::kSha256, {0, 1}}};
  const Signed q = MakeQuote(key.get(), TPM2_ALG_RSAPSS, sel, testing::SamplePcrs(sel));
  CHECK(VerifyQuote({q.message, q.signature, key.get()}, Expect(AttestFields{}.nonce)).ok());
  CHECK(
      RejectionName(VerifyQuote({q.message, q.signature, other.get()}, Expect(AttestFields{}.nonce))
                        .status()) == "bad-signature");
}

TEST_CASE("VerifyQuote rejects a quote that does not cover the required PCRs", "[tpm]") {
  crypto::EvpPkeyPtr key = testing::NewEcKey("secp384r1");
  const PcrSelection sel = {{HashAlg::kSha256, {0, 1, 2}}};
  const Signed q = MakeQuote(key.get(), TPM2_ALG_ECDSA, sel, testing::SamplePcrs(sel));
  auto v = VerifyQuote(
      {q.message, q.signature, key.get()},
      Expect(AttestFields{}.nonce, {{HashAlg::kSha256, {0, 7}}, {HashAlg::kSha1, {0}}}));
  CHECK(RejectionName(v.status()) == "pcr-selection-missing");
  CHECK(testing::Contains(
      v.status(), "quote covers sha256:0,1,2 but not sha256:7+sha1:0, which must be attested"));
}

TEST_CASE("CheckPcrDigest names the selection and both digests on a mismatch", "[tpm]") {
  crypto::EvpPkeyPtr key = testing::NewRsaKey();
  const PcrSelection sel = {{HashAlg::kSha256, {0, 1, 2, 3, 4, 5, 6, 7}}, {HashAlg::kSha1, {7}}};
  crypto::PcrValues values = testing::SamplePcrs(sel);
  const Signed q = MakeQuote(key.get(), TPM2_ALG_RSASSA, sel, values);
  auto verified = VerifyQuote({q.message, q.signature, key.get()}, Expect(AttestFields{}.nonce));
  REQUIRE(verified.ok());
  CHECK(CheckPcrDigest(*verified, values).ok());

  crypto::PcrValues changed = values;
  changed[HashAlg::kSha1][7][0] ^= 1;
  const absl::Status s = CheckPcrDigest(*verified, changed);
  CHECK(RejectionName(s) == "pcr-digest-mismatch");
  const std::string supplied = bytes::ToHex(*ComputePcrDigest(HashAlg::kSha256, sel, changed));
  CHECK(testing::Contains(s,
                          "PCR digest mismatch: quote covers sha256:0,1,2,3,4,5,6,7+sha1:7 and "
                          "the supplied values hash to " +
                              supplied + " (sha256), quote says " +
                              bytes::ToHex(verified->quote.pcr_digest)));

  // Order matters: the same values in another bank order hash differently.
  const PcrSelection swapped = {sel[1], sel[0]};
  CHECK(*ComputePcrDigest(HashAlg::kSha256, swapped, values) !=
        *ComputePcrDigest(HashAlg::kSha256, sel, values));
}

TEST_CASE("CheckPcrDigest reports every selected PCR that has no value", "[tpm]") {
  const PcrSelection sel = {{HashAlg::kSha256, {0, 1, 2}}, {HashAlg::kSha1, {0}}};
  crypto::PcrValues values = testing::SamplePcrs(sel);
  values[HashAlg::kSha256].erase(1);
  values.erase(HashAlg::kSha1);
  auto d = ComputePcrDigest(HashAlg::kSha256, sel, values);
  CHECK(RejectionName(d.status()) == "pcr-values-missing");
  CHECK(testing::Contains(d.status(), "supplied PCR values lack sha256:1+sha1:0"));

  crypto::PcrValues short_value = testing::SamplePcrs(sel);
  short_value[HashAlg::kSha256][2].pop_back();
  CHECK(ComputePcrDigest(HashAlg::kSha256, sel, short_value).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bootgate::tpm
