#include "verifier/tpm/quote.h"

#include <catch2/catch.hpp>

#include "tests/unit/tpm/quote_builder.h"
#include "tests/unit/tpm/swtpm_evidence.h"
#include "tests/unit/tpm/test_util.h"
#include "verifier/bytes/hex.h"

namespace bootgate::tpm {
namespace {

using crypto::HashAlg;
using testing::AttestFields;
using testing::Bytes;
using testing::MarshalAttest;
using testing::RejectionName;

TEST_CASE("DecodeQuote reads every field of a swtpm quote", "[tpm]") {
  auto quote = DecodeQuote(testing::swtpm::kRsaQuoteMsg);
  REQUIRE(quote.ok());
  CHECK(bytes::ToHex(quote->qualified_signer) ==
        "000bf565632cba376f9a17fe709f503ff161564ff9bd2c5efa82b8a7109663ec5ba8");
  CHECK(bytes::ToHex(quote->extra_data) ==
        "5eed1a2b3c4d5e6f00112233445566778899aabbccddeeff0011223344556677");
  CHECK(quote->clock_info.clock_ms == 2921);
  CHECK(quote->clock_info.reset_count == 2);
  CHECK(quote->clock_info.restart_count == 0);
  CHECK(quote->clock_info.safe);
  CHECK(quote->firmware_version == 0x2019102300163636);
  const PcrSelection want = {{HashAlg::kSha256, {0, 1, 2, 3, 4, 5, 6, 7}},
                             {HashAlg::kSha1, {0, 7}}};
  CHECK(quote->pcr_selection == want);
  CHECK(bytes::ToHex(quote->pcr_digest) ==
        "3837bc9e819f7ff7832f9baa858b465691c1aa953376a2cb065410a114f6ef1d");
}

TEST_CASE("DecodeQuote keeps hand-made fields and the bank order of the selection", "[tpm]") {
  AttestFields f;
  f.selection = {{TPM2_ALG_SHA1, {23, 0}}, {TPM2_ALG_SHA384, {10}}};
  f.nonce = {};
  auto quote = DecodeQuote(MarshalAttest(f));
  REQUIRE(quote.ok());
  CHECK(quote->extra_data.empty());
  CHECK(quote->clock_info.clock_ms == 12345);
  CHECK(quote->clock_info.reset_count == 3);
  CHECK(quote->clock_info.restart_count == 1);
  const PcrSelection want = {{HashAlg::kSha1, {0, 23}}, {HashAlg::kSha384, {10}}};
  CHECK(quote->pcr_selection == want);
}

TEST_CASE("DecodeQuote rejects every truncation as malformed", "[tpm]") {
  const Bytes full = MarshalAttest({});
  for (size_t n = 0; n < full.size(); ++n) {
    auto quote = DecodeQuote(std::span<const uint8_t>(full.data(), n));
    INFO("length " << n);
    REQUIRE_FALSE(quote.ok());
    CHECK(quote.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("DecodeQuote rejects trailing bytes", "[tpm]") {
  for (size_t extra : {1u, 2u, 100u}) {
    Bytes bytes = MarshalAttest({});
    bytes.resize(bytes.size() + extra, 0);
    auto quote = DecodeQuote(bytes);
    REQUIRE(quote.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(testing::Contains(quote.status(), std::to_string(extra) + " trailing bytes"));
  }
}

TEST_CASE("DecodeQuote refuses a wrong magic as a rejection, not a parse error", "[tpm]") {
  AttestFields f;
  f.magic = 0xff544346;
  auto quote = DecodeQuote(MarshalAttest(f));
  CHECK(quote.status().code() == absl::StatusCode::kPermissionDenied);
  CHECK(RejectionName(quote.status()) == "bad-magic");
  CHECK(testing::Contains(quote.status(), "magic is 0xff544346"));
}

TEST_CASE("DecodeQuote refuses attestations that are not quotes and names their type", "[tpm]") {
  AttestFields f;
  f.type = TPM2_ST_ATTEST_CERTIFY;
  auto certify = DecodeQuote(MarshalAttest(f));
  CHECK(RejectionName(certify.status()) == "not-a-quote");
  CHECK(testing::Contains(certify.status(), "0x8017 (certify)"));

  auto time = DecodeQuote(testing::swtpm::kTimeMsg);
  CHECK(RejectionName(time.status()) == "not-a-quote");
  CHECK(testing::Contains(time.status(), "0x8019 (time)"));
}

TEST_CASE("DecodeQuote refuses a selection of an unknown or repeated bank", "[tpm]") {
  AttestFields f;
  f.selection = {{0x0099, {0}}};
  auto unknown = DecodeQuote(MarshalAttest(f));
  CHECK(unknown.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(testing::Contains(unknown.status(), "bank 0x0099"));

  f.selection = {{TPM2_ALG_SHA256, {0}}, {TPM2_ALG_SHA256, {1}}};
  auto twice = DecodeQuote(MarshalAttest(f));
  CHECK(twice.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(testing::Contains(twice.status(), "sha256 twice"));
}

TEST_CASE("DecodeQuote survives every single-byte corruption", "[tpm]") {
  const Bytes full = MarshalAttest({});
  for (size_t i = 0; i < full.size(); ++i) {
    for (uint8_t v : {0x00, 0xff, 0x80}) {
      Bytes b = full;
      b[i] = v;
      auto quote = DecodeQuote(b);  // any outcome but a crash; errors are one of the two kinds
      if (!quote.ok()) {
        CHECK((quote.status().code() == absl::StatusCode::kInvalidArgument ||
               quote.status().code() == absl::StatusCode::kPermissionDenied));
      }
    }
  }
}

TEST_CASE("FormatPcrSelection lists or compacts PCRs per bank", "[tpm]") {
  const PcrSelection sel = {{HashAlg::kSha256, {0, 1, 2, 3, 7, 9, 10}}, {HashAlg::kSha1, {}}};
  CHECK(FormatPcrSelection(sel) == "sha256:0,1,2,3,7,9,10+sha1:none");
  CHECK(FormatPcrSelection(sel, true) == "sha256:0-3,7,9-10+sha1:none");
}

TEST_CASE("ParsePcrSelectionSpec reads tpm2-tools selections with ranges", "[tpm]") {
  auto sel = ParsePcrSelectionSpec("sha256:7,0-3,2+sha1:23");
  REQUIRE(sel.ok());
  const PcrSelection want = {{HashAlg::kSha256, {0, 1, 2, 3, 7}}, {HashAlg::kSha1, {23}}};
  CHECK(*sel == want);
  for (const char* bad :
       {"sha256", "md5:0", "sha256:24", "sha256:3-1", "sha256:x", "sha256:0+sha256:1", "sha256:"}) {
    INFO(bad);
    CHECK(ParsePcrSelectionSpec(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("MissingFromSelection names what a quote does not cover", "[tpm]") {
  const PcrSelection have = {{HashAlg::kSha256, {0, 1, 2}}};
  const PcrSelection need = {{HashAlg::kSha256, {1, 2, 3}}, {HashAlg::kSha1, {0}}};
  const PcrSelection want = {{HashAlg::kSha256, {3}}, {HashAlg::kSha1, {0}}};
  CHECK(MissingFromSelection(have, need) == want);
  CHECK(MissingFromSelection(have, {{HashAlg::kSha256, {0, 2}}}).empty());
}

}  // namespace
}  // namespace bootgate::tpm
