#include "verifier/eventlog/replay.h"

#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/eventlog/log_builder.h"
#include "verifier/eventlog/event_types.h"
#include "verifier/eventlog/parse.h"

namespace bootgate::eventlog {
namespace {

using crypto::HashAlg;
using testing::Bytes;
using testing::HeaderAlg;
using testing::LogBuilder;

ReplayResult ReplayOk(const LogBuilder& b) {
  absl::StatusOr<EventLog> parsed = ParseEventLog(b.Build());
  REQUIRE(parsed.ok());
  absl::StatusOr<ReplayResult> replay = Replay(*parsed);
  INFO(replay.status().ToString());
  REQUIRE(replay.ok());
  return *std::move(replay);
}

std::string ReplayError(const LogBuilder& b) {
  absl::StatusOr<EventLog> parsed = ParseEventLog(b.Build());
  REQUIRE(parsed.ok());
  absl::StatusOr<ReplayResult> replay = Replay(*parsed);
  REQUIRE_FALSE(replay.ok());
  CHECK(replay.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(replay.status().message());
}

crypto::Digest Zeros(HashAlg alg) { return crypto::Digest(crypto::DigestSize(alg), 0); }

TEST_CASE("replay of a legacy log gives the SHA-1 PCRs a TPM would hold", "[eventlog]") {
  LogBuilder b = LogBuilder::Legacy();
  b.Measure(0, kEvSCrtmVersion, Bytes("v1"))
      .Measure(0, kEvPostCode, Bytes("code"))
      .Measure(7, kEvSeparator, {0, 0, 0, 0});
  const ReplayResult r = ReplayOk(b);
  REQUIRE(r.pcrs.size() == 1);
  CHECK(r.pcrs == b.expected_pcrs());
  // Computed by hand as a TPM does: PCR0 = SHA1(SHA1(0^20 || SHA1("v1")) || SHA1("code")).
  crypto::Digest pcr0 = Zeros(HashAlg::kSha1);
  REQUIRE(
      crypto::Extend(HashAlg::kSha1, pcr0, crypto::Hash(HashAlg::kSha1, Bytes("v1")).value()).ok());
  REQUIRE(crypto::Extend(HashAlg::kSha1, pcr0, crypto::Hash(HashAlg::kSha1, Bytes("code")).value())
              .ok());
  CHECK(r.pcrs.at(HashAlg::kSha1).at(0) == pcr0);
  CHECK(r.pcrs.at(HashAlg::kSha1).at(5) == Zeros(HashAlg::kSha1));
  CHECK(r.fed_by[0] == std::vector<uint32_t>{0, 1});
  CHECK(r.fed_by[7] == std::vector<uint32_t>{2});
  CHECK(r.fed_by[4].empty());
}

TEST_CASE("replay extends every bank the Spec ID header declares", "[eventlog]") {
  for (const std::vector<HashAlg>& banks : {std::vector<HashAlg>{HashAlg::kSha256},
                                            {HashAlg::kSha1, HashAlg::kSha256},
                                            {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384}}) {
    LogBuilder b = LogBuilder::CryptoAgile(banks);
    b.Measure(0, kEvSCrtmVersion, Bytes("1.0"))
        .Measure(4, kEvEfiAction, Bytes("Calling EFI Application from Boot Option"))
        .Measure(7, kEvSeparator, {0, 0, 0, 0})
        .Measure(4, kEvSeparator, {0, 0, 0, 0});
    const ReplayResult r = ReplayOk(b);
    CHECK(r.pcrs.size() == banks.size());
    CHECK(r.pcrs == b.expected_pcrs());
    for (HashAlg bank : banks) CHECK(r.pcrs.at(bank).size() == 24);
    CHECK(r.fed_by[4] == std::vector<uint32_t>{2, 4});
    CHECK_FALSE(r.startup_locality.has_value());
  }
}

TEST_CASE("PCRs 17-22 start at all ones and the others at zero, as after TPM2_Startup",
          "[eventlog]") {
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha256});
  b.Measure(18, kEvEventTag, Bytes("drtm"));
  const ReplayResult r = ReplayOk(b);
  CHECK(r.pcrs == b.expected_pcrs());
  const auto& pcrs = r.pcrs.at(HashAlg::kSha256);
  CHECK(pcrs.at(16) == Zeros(HashAlg::kSha256));
  CHECK(pcrs.at(17) == crypto::Digest(32, 0xFF));
  CHECK(pcrs.at(22) == crypto::Digest(32, 0xFF));
  CHECK(pcrs.at(23) == Zeros(HashAlg::kSha256));
  crypto::Digest pcr18(32, 0xFF);
  REQUIRE(
      crypto::Extend(HashAlg::kSha256, pcr18, crypto::Hash(HashAlg::kSha256, Bytes("drtm")).value())
          .ok());
  CHECK(pcrs.at(18) == pcr18);
}

TEST_CASE("replay skips a bank whose algorithm bootgate does not know", "[eventlog]") {
  LogBuilder b = LogBuilder::CryptoAgile(
      std::vector<HeaderAlg>{HeaderAlg::Known(HashAlg::kSha256), {0x4321, 24}});
  b.Measure(4, kEvEfiAction, Bytes("x"));
  const ReplayResult r = ReplayOk(b);
  CHECK(r.pcrs.size() == 1);
  CHECK(r.pcrs == b.expected_pcrs());
  CHECK(r.skipped_alg_ids == std::vector<uint16_t>{0x4321});
}

TEST_CASE("StartupLocality 3 starts PCR 0 at 00..03 in every bank", "[eventlog]") {
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha1, HashAlg::kSha256});
  b.StartupLocality(3).Measure(0, kEvSCrtmVersion, Bytes("1.0"));
  const ReplayResult r = ReplayOk(b);
  CHECK(r.startup_locality == 3);
  CHECK(r.pcrs == b.expected_pcrs());
  for (HashAlg bank : {HashAlg::kSha1, HashAlg::kSha256}) {
    crypto::Digest pcr0 = Zeros(bank);
    pcr0.back() = 3;
    REQUIRE(crypto::Extend(bank, pcr0, crypto::Hash(bank, Bytes("1.0")).value()).ok());
    CHECK(r.pcrs.at(bank).at(0) == pcr0);
  }
  // The StartupLocality event itself fed nothing.
  CHECK(r.fed_by[0] == std::vector<uint32_t>{2});
}

TEST_CASE("StartupLocality with no PCR 0 events leaves PCR 0 at the locality", "[eventlog]") {
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha256});
  b.StartupLocality(3);
  crypto::Digest expected = Zeros(HashAlg::kSha256);
  expected.back() = 3;
  CHECK(ReplayOk(b).pcrs.at(HashAlg::kSha256).at(0) == expected);
}

TEST_CASE("replay rejects a StartupLocality event after PCR 0 was extended", "[eventlog]") {
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha256});
  b.Measure(0, kEvSCrtmVersion, Bytes("1.0"));
  std::vector<uint8_t> data = Bytes("StartupLocality");
  data.push_back(0);
  data.push_back(3);
  b.Raw(0, kEvNoAction, {{0x000B, Zeros(HashAlg::kSha256)}}, data);
  CHECK(ReplayError(b) ==
        "event 2 (EV_NO_ACTION, PCR 0): StartupLocality after PCR 0 was extended");
}

TEST_CASE("replay rejects a StartupLocality event of the wrong size", "[eventlog]") {
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha256});
  std::vector<uint8_t> data = Bytes("StartupLocality");
  data.push_back(0);
  b.Raw(0, kEvNoAction, {{0x000B, Zeros(HashAlg::kSha256)}}, data);
  CHECK(ReplayError(b).find("malformed StartupLocality event") != std::string::npos);
}

TEST_CASE("EV_NO_ACTION events are never extended, whatever their digests", "[eventlog]") {
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha1, HashAlg::kSha256});
  b.Raw(0, kEvNoAction,
        {{0x0004, std::vector<uint8_t>(20, 0xAB)}, {0x000B, std::vector<uint8_t>(32, 0xCD)}},
        Bytes("SP800-155 Event3 and more"));
  b.Raw(5, kEvNoAction, {}, {});
  b.Measure(4, kEvEfiAction, Bytes("x"));
  const ReplayResult r = ReplayOk(b);
  CHECK(r.pcrs == b.expected_pcrs());
  CHECK(r.pcrs.at(HashAlg::kSha256).at(0) == Zeros(HashAlg::kSha256));
  CHECK(r.fed_by[0].empty());
  CHECK(r.fed_by[5].empty());
}

TEST_CASE("replay rejects an event claiming PCR 24", "[eventlog]") {
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha256});
  b.Measure(4, kEvEfiAction, Bytes("x")).Measure(24, kEvEfiAction, Bytes("y"));
  CHECK(ReplayError(b) ==
        "event 2 (EV_EFI_ACTION, PCR 24): claims PCR 24, but only PCRs 0-23 exist");
  LogBuilder legacy = LogBuilder::Legacy();
  legacy.Measure(0xFFFFFFFF, kEvSeparator, {0, 0, 0, 0});
  CHECK(ReplayError(legacy).find("claims PCR 4294967295") != std::string::npos);
}

TEST_CASE("replay rejects an event missing a digest for a declared bank", "[eventlog]") {
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha1, HashAlg::kSha256});
  b.Raw(4, kEvEfiAction, {{0x000B, crypto::Hash(HashAlg::kSha256, Bytes("x")).value()}},
        Bytes("x"));
  CHECK(ReplayError(b) ==
        "event 1 (EV_EFI_ACTION, PCR 4): no sha1 digest, though the log declares that bank");
}

TEST_CASE("replay of the same log is deterministic and independent of digest order", "[eventlog]") {
  LogBuilder a = LogBuilder::CryptoAgile({HashAlg::kSha1, HashAlg::kSha256});
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha1, HashAlg::kSha256});
  a.Measure(4, kEvEfiAction, Bytes("x"));
  const crypto::Digest sha1 = crypto::Hash(HashAlg::kSha1, Bytes("x")).value();
  const crypto::Digest sha256 = crypto::Hash(HashAlg::kSha256, Bytes("x")).value();
  b.Raw(4, kEvEfiAction, {{0x000B, sha256}, {0x0004, sha1}}, Bytes("x"));
  CHECK(ReplayOk(a).pcrs == ReplayOk(b).pcrs);
}

}  // namespace
}  // namespace bootgate::eventlog
