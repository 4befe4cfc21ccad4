#include "verifier/eventlog/compare.h"

#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/eventlog/log_builder.h"
#include "verifier/bytes/hex.h"
#include "verifier/eventlog/event_types.h"
#include "verifier/eventlog/parse.h"

namespace bootgate::eventlog {
namespace {

using crypto::HashAlg;
using testing::Bytes;
using testing::LogBuilder;

// The "TPM" side: a boot with events on PCRs 0, 4 and 7 in both banks.
LogBuilder Boot() {
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha1, HashAlg::kSha256});
  b.StartupLocality(0)
      .Measure(0, kEvSCrtmVersion, Bytes("1.0"))                 // event 2
      .Measure(7, kEvSeparator, {0, 0, 0, 0})                    // event 3
      .Measure(4, kEvEfiAction, Bytes("Calling EFI"))            // event 4
      .Measure(4, kEvEfiBootServicesApplication, Bytes("shim"))  // event 5
      .Measure(4, kEvEfiBootServicesApplication, Bytes("grub"))  // event 6
      .Measure(4, kEvSeparator, {0, 0, 0, 0});                   // event 7
  return b;
}

ReplayResult ReplayBytes(const std::vector<uint8_t>& log) {
  absl::StatusOr<EventLog> parsed = ParseEventLog(log);
  REQUIRE(parsed.ok());
  absl::StatusOr<ReplayResult> replay = Replay(*parsed);
  REQUIRE(replay.ok());
  return *std::move(replay);
}

// The quote covers PCRs 0-7 of both banks.
crypto::PcrValues Quoted(const LogBuilder& tpm) {
  crypto::PcrValues quoted;
  for (const auto& [bank, pcrs] : tpm.expected_pcrs()) {
    for (uint32_t pcr = 0; pcr < 8; ++pcr) quoted[bank][pcr] = pcrs.at(pcr);
  }
  return quoted;
}

// Returns the log of `b` with events [first, first + count) removed.
std::vector<uint8_t> WithoutEvents(const LogBuilder& b, size_t first, size_t count) {
  std::vector<uint8_t> log = b.Build();
  const size_t begin = b.event_offsets()[first];
  const size_t end =
      first + count < b.event_count() ? b.event_offsets()[first + count] : log.size();
  log.erase(log.begin() + begin, log.begin() + end);
  return log;
}

TEST_CASE("an unedited log matches the quoted PCRs", "[eventlog]") {
  const LogBuilder tpm = Boot();
  const Comparison c = CompareWithQuoted(ReplayBytes(tpm.Build()), Quoted(tpm));
  CHECK(c.ok());
}

TEST_CASE("a log with one digest changed fails comparison naming bank, PCR and events",
          "[eventlog]") {
  const LogBuilder tpm = Boot();
  std::vector<uint8_t> log = tpm.Build();
  // Flip the last byte of the SHA-256 digest of event 5 (shim): after PCR, type, count,
  // sha1 (2 + 20), sha256 alg id (2).
  const size_t sha256_digest_at = tpm.event_offsets()[5] + 12 + 22 + 2;
  log[sha256_digest_at + 31] ^= 0x01;
  const Comparison c = CompareWithQuoted(ReplayBytes(log), Quoted(tpm));
  REQUIRE(c.mismatches.size() == 1);
  const PcrMismatch& m = c.mismatches[0];
  CHECK(m.bank == HashAlg::kSha256);
  CHECK(m.pcr == 4);
  CHECK(m.events == std::vector<uint32_t>{4, 5, 6, 7});
  CHECK(m.quoted == tpm.expected_pcrs().at(HashAlg::kSha256).at(4));
  CHECK(m.message == "sha256 PCR 4: replay gives " + bytes::ToHex(std::span(m.replayed).first(4)) +
                         "\u2026, quote says " + bytes::ToHex(std::span(m.quoted).first(4)) +
                         "\u2026; fed by events 4, 5, 6, 7");
  CHECK(c.missing_banks.empty());
}

TEST_CASE("a log with one event dropped fails comparison in every bank of that PCR", "[eventlog]") {
  const LogBuilder tpm = Boot();
  const Comparison c = CompareWithQuoted(ReplayBytes(WithoutEvents(tpm, 6, 1)), Quoted(tpm));
  REQUIRE(c.mismatches.size() == 2);
  CHECK(c.mismatches[0].bank == HashAlg::kSha1);
  CHECK(c.mismatches[1].bank == HashAlg::kSha256);
  for (const PcrMismatch& m : c.mismatches) {
    CHECK(m.pcr == 4);
    CHECK(m.events == std::vector<uint32_t>{4, 5, 6});  // indices in the edited log
  }
  CHECK(c.mismatches[0].message.find("sha1 PCR 4: replay gives ") == 0);
}

TEST_CASE("a log with one event added fails comparison naming the PCR", "[eventlog]") {
  const LogBuilder tpm = Boot();
  LogBuilder edited = Boot();
  edited.Measure(7, kEvEfiVariableAuthority, Bytes("extra"));
  const Comparison c = CompareWithQuoted(ReplayBytes(edited.Build()), Quoted(tpm));
  REQUIRE(c.mismatches.size() == 2);
  for (const PcrMismatch& m : c.mismatches) {
    CHECK(m.pcr == 7);
    CHECK(m.events == std::vector<uint32_t>{3, 8});
    CHECK(m.message.find("; fed by events 3, 8") != std::string::npos);
  }
}

TEST_CASE("a PCR no event fed is compared against its initial value", "[eventlog]") {
  const LogBuilder tpm = Boot();
  crypto::PcrValues quoted = Quoted(tpm);
  quoted[HashAlg::kSha256][2] = crypto::Digest(32, 0xEE);
  const Comparison c = CompareWithQuoted(ReplayBytes(tpm.Build()), quoted);
  REQUIRE(c.mismatches.size() == 1);
  CHECK(c.mismatches[0].pcr == 2);
  CHECK(c.mismatches[0].message.find("; no event extended it") != std::string::npos);
}

TEST_CASE("a bank active in the TPM but absent from the log is its own finding", "[eventlog]") {
  LogBuilder sha256_only = LogBuilder::CryptoAgile({HashAlg::kSha256});
  sha256_only.Measure(4, kEvEfiAction, Bytes("x"));
  crypto::PcrValues quoted = Quoted(sha256_only);
  quoted[HashAlg::kSha1][4] = crypto::Digest(20, 0x11);
  const Comparison c = CompareWithQuoted(ReplayBytes(sha256_only.Build()), quoted);
  CHECK(c.mismatches.empty());
  REQUIRE(c.missing_banks.size() == 1);
  CHECK(c.missing_banks[0].bank == HashAlg::kSha1);
  CHECK(c.missing_banks[0].message ==
        "sha1 bank is active in the TPM but the log has no sha1 digests: anyone can extend it");
  CHECK_FALSE(c.ok());
}

}  // namespace
}  // namespace bootgate::eventlog
