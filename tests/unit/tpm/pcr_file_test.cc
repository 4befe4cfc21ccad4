#include "verifier/tpm/pcr_file.h"

#include <catch2/catch.hpp>

#include "tests/unit/tpm/quote_builder.h"
#include "tests/unit/tpm/swtpm_evidence.h"
#include "tests/unit/tpm/test_util.h"
#include "verifier/bytes/hex.h"

namespace bootgate::tpm {
namespace {

using crypto::HashAlg;
using testing::Bytes;

TEST_CASE("ParseTpm2ToolsPcrFile reads a tpm2_quote -o file from swtpm", "[tpm]") {
  auto file = ParseTpm2ToolsPcrFile(testing::swtpm::kRsaQuotePcrs);
  REQUIRE(file.ok());
  const PcrSelection want = {{HashAlg::kSha256, {0, 1, 2, 3, 4, 5, 6, 7}},
                             {HashAlg::kSha1, {0, 7}}};
  CHECK(file->selection == want);
  REQUIRE(file->values.size() == 2);
  CHECK(file->values.at(HashAlg::kSha256).size() == 8);
  CHECK(file->values.at(HashAlg::kSha1).size() == 2);
  CHECK(bytes::ToHex(file->values.at(HashAlg::kSha256).at(0)) == std::string(64, '0'));
  CHECK(bytes::ToHex(file->values.at(HashAlg::kSha1).at(0)) == std::string(40, '0'));
  // PCR 4 and 7 were extended by the test; the others stayed zero.
  CHECK(bytes::ToHex(file->values.at(HashAlg::kSha256).at(4)) != std::string(64, '0'));
  CHECK(bytes::ToHex(file->values.at(HashAlg::kSha1).at(7)) != std::string(40, '0'));
}

TEST_CASE("ParseTpm2ToolsPcrFile round-trips more PCRs than one TPML_DIGEST holds", "[tpm]") {
  const PcrSelection sel = {{HashAlg::kSha1, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
                            {HashAlg::kSha384, {16, 23}}};
  const crypto::PcrValues values = testing::SamplePcrs(sel);
  auto file = ParseTpm2ToolsPcrFile(testing::PcrFileBytes(sel, values));
  REQUIRE(file.ok());
  CHECK(file->selection == sel);
  CHECK(file->values == values);
}

TEST_CASE("ParseTpm2ToolsPcrFile rejects every truncation and trailing bytes", "[tpm]") {
  const PcrSelection sel = {{HashAlg::kSha256, {0, 1, 2}}};
  const Bytes full = testing::PcrFileBytes(sel, testing::SamplePcrs(sel));
  for (size_t n = 0; n < full.size(); ++n) {
    INFO("length " << n);
    CHECK(ParseTpm2ToolsPcrFile(std::span<const uint8_t>(full.data(), n)).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  Bytes padded = full;
  padded.push_back(0);
  auto p = ParseTpm2ToolsPcrFile(padded);
  CHECK(testing::Contains(p.status(), "1 trailing bytes"));
}

TEST_CASE("ParseTpm2ToolsPcrFile rejects counts beyond the struct capacities", "[tpm]") {
  const PcrSelection sel = {{HashAlg::kSha256, {0}}};
  const Bytes full = testing::PcrFileBytes(sel, testing::SamplePcrs(sel));
  Bytes banks = full;
  banks[0] = 17;  // TPML_PCR_SELECTION.count > 16
  CHECK(
      testing::Contains(ParseTpm2ToolsPcrFile(banks).status(), "count 17 exceeds the limit of 16"));
  Bytes lists = full;
  lists[132] = 33;  // more TPML_DIGESTs than tpm2-tools can hold
  CHECK(
      testing::Contains(ParseTpm2ToolsPcrFile(lists).status(), "count 33 exceeds the limit of 32"));
  Bytes digests = full;
  digests[136] = 9;  // TPML_DIGEST.count > 8
  CHECK(
      testing::Contains(ParseTpm2ToolsPcrFile(digests).status(), "count 9 exceeds the limit of 8"));
  Bytes size = full;
  size[140] = 65;  // TPM2B_DIGEST.size > 64
  CHECK(testing::Contains(ParseTpm2ToolsPcrFile(size).status(), "size 65 exceeds 64"));
}

TEST_CASE("ParseTpm2ToolsPcrFile rejects values that do not match the selection", "[tpm]") {
  const PcrSelection sel = {{HashAlg::kSha256, {0, 1}}};
  const crypto::PcrValues values = testing::SamplePcrs(sel);
  Bytes wrong_size = testing::PcrFileBytes(sel, values);
  wrong_size[140] = 20;  // first value claims 20 bytes in the sha256 bank
  CHECK(testing::Contains(ParseTpm2ToolsPcrFile(wrong_size).status(),
                          "value of sha256:0 has 20 bytes, want 32"));
  // Selection says 3 PCRs, the file holds 2 values.
  Bytes more_selected = testing::PcrFileBytes(sel, values);
  more_selected[4 + 3] |= 0x04;  // select PCR 2 too
  CHECK(testing::Contains(ParseTpm2ToolsPcrFile(more_selected).status(), "no value for sha256:2"));
  Bytes fewer_selected = testing::PcrFileBytes(sel, values);
  fewer_selected[4 + 3] = 0x01;  // only PCR 0
  CHECK(testing::Contains(ParseTpm2ToolsPcrFile(fewer_selected).status(),
                          "holds 2 values but selects 1 PCRs"));
  Bytes unknown_bank = testing::PcrFileBytes(sel, values);
  unknown_bank[4] = 0x99;
  CHECK(testing::Contains(ParseTpm2ToolsPcrFile(unknown_bank).status(), "bank 0x0099"));
}

}  // namespace
}  // namespace bootgate::tpm
