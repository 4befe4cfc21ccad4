#include "verifier/eventlog/parse.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/unit/eventlog/log_builder.h"
#include "verifier/eventlog/decode.h"
#include "verifier/eventlog/event_types.h"
#include "verifier/eventlog/replay.h"

namespace bootgate::eventlog {
namespace {

using crypto::HashAlg;
using testing::Bytes;
using testing::HeaderAlg;
using testing::LogBuilder;

constexpr uint16_t kSha1Id = 0x0004;
constexpr uint16_t kSha256Id = 0x000B;

// A small crypto-agile log with events on PCR 0 (whose bytes start with zeros), 4 and 7.
LogBuilder SmallAgileLog() {
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha1, HashAlg::kSha256});
  b.StartupLocality(3)
      .Measure(0, kEvSCrtmVersion, Bytes("1.0"))
      .Measure(7, kEvSeparator, {0, 0, 0, 0})
      .Measure(4, kEvEfiAction, Bytes("Calling EFI Application from Boot Option"));
  return b;
}

std::string ParseError(const std::vector<uint8_t>& log, const ParseLimits& limits = {}) {
  absl::StatusOr<EventLog> parsed = ParseEventLog(log, limits);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

TEST_CASE("a legacy log parses as SHA-1 events with their offsets", "[eventlog]") {
  LogBuilder b = LogBuilder::Legacy();
  b.Measure(0, kEvSCrtmVersion, Bytes("v1")).Measure(4, kEvSeparator, {0, 0, 0, 0});
  const std::vector<uint8_t> log = b.Build();

  absl::StatusOr<EventLog> parsed = ParseEventLog(log);
  REQUIRE(parsed.ok());
  CHECK(parsed->format == LogFormat::kSha1Legacy);
  REQUIRE(parsed->events.size() == 2);
  const Event& e = parsed->events[1];
  CHECK(e.index == 1);
  CHECK(e.offset == b.event_offsets()[1]);
  CHECK(e.pcr == 4);
  CHECK(e.type == kEvSeparator);
  CHECK(e.data == std::vector<uint8_t>{0, 0, 0, 0});
  REQUIRE(e.digests.size() == 1);
  CHECK(e.digests[0].alg == HashAlg::kSha1);
  CHECK(std::ranges::equal(e.digests[0].digest, crypto::Hash(HashAlg::kSha1, e.data).value()));
  CHECK(parsed->padding_size == 0);
}

TEST_CASE("a crypto-agile log takes its banks and digest sizes from the Spec ID header",
          "[eventlog]") {
  for (const std::vector<HashAlg>& banks : {std::vector<HashAlg>{HashAlg::kSha256},
                                            {HashAlg::kSha1, HashAlg::kSha256},
                                            {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384}}) {
    LogBuilder b = LogBuilder::CryptoAgile(banks);
    b.Measure(2, kEvPostCode, Bytes("POST CODE")).Measure(7, kEvSeparator, {0, 0, 0, 0});
    absl::StatusOr<EventLog> parsed = ParseEventLog(b.Build());
    REQUIRE(parsed.ok());
    CHECK(parsed->format == LogFormat::kCryptoAgile);
    CHECK(parsed->spec_id.spec_version_major == 2);
    CHECK(parsed->spec_id.uintn_size == 2);
    REQUIRE(parsed->spec_id.algorithms.size() == banks.size());
    REQUIRE(parsed->events.size() == 3);
    CHECK(parsed->events[0].type == kEvNoAction);
    const Event& e = parsed->events[1];
    REQUIRE(e.digests.size() == banks.size());
    for (size_t i = 0; i < banks.size(); ++i) {
      CHECK(parsed->spec_id.algorithms[i].alg == banks[i]);
      CHECK(e.digests[i].alg == banks[i]);
      CHECK(std::ranges::equal(e.digests[i].digest,
                               crypto::Hash(banks[i], Bytes("POST CODE")).value()));
    }
  }
}

TEST_CASE("an algorithm unknown to bootgate is skipped by the size its header gives",
          "[eventlog]") {
  LogBuilder b = LogBuilder::CryptoAgile(
      std::vector<HeaderAlg>{{0x1234, 40}, HeaderAlg::Known(HashAlg::kSha256)});
  b.Measure(4, kEvEfiAction, Bytes("x"));
  absl::StatusOr<EventLog> parsed = ParseEventLog(b.Build());
  REQUIRE(parsed.ok());
  const Event& e = parsed->events[1];
  REQUIRE(e.digests.size() == 2);
  CHECK(e.digests[0].alg_id == 0x1234);
  CHECK_FALSE(e.digests[0].alg.has_value());
  CHECK(e.digests[0].digest.size() == 40);
  CHECK(
      std::ranges::equal(e.digests[1].digest, crypto::Hash(HashAlg::kSha256, Bytes("x")).value()));
  CHECK(e.data == Bytes("x"));
}

TEST_CASE("a digest whose algorithm the header does not declare is an error", "[eventlog]") {
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha256});
  b.Raw(4, kEvEfiAction, {{kSha1Id, std::vector<uint8_t>(20, 1)}}, Bytes("x"));
  const std::string error = ParseError(b.Build());
  CHECK(error.find("event 1 at offset 0x") == 0);
  CHECK(error.find("algorithm 0x0004, which the Spec ID header does not declare") !=
        std::string::npos);
}

TEST_CASE("a digest algorithm repeated within one event is an error", "[eventlog]") {
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha256});
  const std::vector<uint8_t> d(32, 1);
  b.Raw(4, kEvEfiAction, {{kSha256Id, d}, {kSha256Id, d}}, Bytes("x"));
  CHECK(ParseError(b.Build()).find("repeats algorithm 0x000b") != std::string::npos);
}

TEST_CASE("a short EV_NO_ACTION event such as StartupLocality is a valid event", "[eventlog]") {
  const std::vector<uint8_t> log = SmallAgileLog().Build();
  absl::StatusOr<EventLog> parsed = ParseEventLog(log);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->events.size() == 5);
  CHECK(parsed->events[1].type == kEvNoAction);
  CHECK(parsed->events[1].data.size() == 17);
}

TEST_CASE("a log cut at any offset is either a shorter valid log or an error", "[eventlog]") {
  for (LogBuilder b :
       {SmallAgileLog(), [] {
          LogBuilder legacy = LogBuilder::Legacy();
          legacy.Measure(0, kEvSCrtmVersion, Bytes("v1")).Measure(0, kEvPostCode, Bytes("p"));
          return legacy;
        }()}) {
    const std::vector<uint8_t> log = b.Build();
    const std::vector<size_t>& offsets = b.event_offsets();
    for (size_t cut = 0; cut < log.size(); ++cut) {
      CAPTURE(cut);
      const std::vector<uint8_t> prefix(log.begin(), log.begin() + cut);
      absl::StatusOr<EventLog> parsed = ParseEventLog(prefix);
      // Ending exactly where an event starts leaves a valid, shorter log.
      const auto boundary = std::find(offsets.begin() + 1, offsets.end(), cut);
      if (boundary != offsets.end()) {
        REQUIRE(parsed.ok());
        CHECK(parsed->events.size() == static_cast<size_t>(boundary - offsets.begin()));
      } else {
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
        if (cut > 0) {
          CHECK(std::string(parsed.status().message()).find("event ") == 0);
        }
      }
    }
  }
}

TEST_CASE("an event claiming a 4 GiB data size is refused by the limit", "[eventlog]") {
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha256});
  b.Measure(4, kEvEfiAction, Bytes("x"));
  std::vector<uint8_t> log = b.Build();
  // The data size field is the 4 bytes before the one data byte at the end.
  for (size_t i = log.size() - 5; i < log.size() - 1; ++i) log[i] = 0xFF;
  const std::string error = ParseError(log);
  CHECK(error == "event 1 at offset 0x" + absl::StrCat(absl::Hex(b.event_offsets()[1])) +
                     ": event data size 4294967295 exceeds the limit of 1048576");
}

TEST_CASE("oversize counts and sizes are refused before allocating", "[eventlog]") {
  SECTION("digest count") {
    LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha256});
    b.Raw(4, kEvEfiAction, {}, {});
    std::vector<uint8_t> log = b.Build();
    const size_t count_at = b.event_offsets()[1] + 8;
    for (uint32_t count : {9u, 1000u, 0xFFFFFFFFu}) {
      for (int i = 0; i < 4; ++i) log[count_at + i] = static_cast<uint8_t>(count >> (8 * i));
      CHECK(ParseError(log).find("digest count " + std::to_string(count) +
                                 " exceeds the limit of 8") != std::string::npos);
    }
  }
  SECTION("header algorithm count") {
    std::vector<HeaderAlg> algs(9, HeaderAlg::Known(HashAlg::kSha256));
    for (size_t i = 0; i < algs.size(); ++i) algs[i].alg_id = static_cast<uint16_t>(0x100 + i);
    const std::string error = ParseError(LogBuilder::CryptoAgile(algs).Build());
    CHECK(error.find("event 0 at offset 0x0: Spec ID header: algorithm count 9 exceeds") == 0);
  }
  SECTION("event count") {
    LogBuilder b = LogBuilder::Legacy();
    for (int i = 0; i < 5; ++i) b.Measure(4, kEvEfiAction, Bytes("x"));
    ParseLimits limits;
    limits.max_events = 4;
    CHECK(ParseError(b.Build(), limits).find("event 4 at offset 0x") == 0);
    limits.max_events = 5;
    CHECK(ParseEventLog(b.Build(), limits).ok());
  }
  SECTION("log size") {
    ParseLimits limits;
    limits.max_log_size = 10;
    CHECK(ParseError(SmallAgileLog().Build(), limits).find("exceeds the limit of 10 bytes") !=
          std::string::npos);
  }
  SECTION("unknown algorithm with an absurd digest size") {
    CHECK(ParseError(LogBuilder::CryptoAgile(std::vector<HeaderAlg>{{0x1234, 4000}}).Build())
              .find("algorithm 0x1234 declared with digest size 4000") != std::string::npos);
  }
  SECTION("known algorithm with the wrong digest size") {
    CHECK(ParseError(LogBuilder::CryptoAgile(std::vector<HeaderAlg>{{kSha256Id, 20}}).Build())
              .find("sha256 declared with digest size 20, want 32") != std::string::npos);
  }
}

TEST_CASE("empty input and input that is only filler are errors", "[eventlog]") {
  CHECK(ParseError({}) == "event log is empty");
  CHECK(ParseError(std::vector<uint8_t>(4096, 0xFF)).find("only padding") != std::string::npos);
  CHECK(ParseError(std::vector<uint8_t>(4096, 0x00)).find("only padding") != std::string::npos);
}

TEST_CASE("trailing 0xFF or 0x00 filler after the last event is reported as padding",
          "[eventlog]") {
  for (uint8_t filler : {uint8_t{0x00}, uint8_t{0xFF}}) {
    LogBuilder b = SmallAgileLog();
    b.Trailing(std::vector<uint8_t>(100, filler));
    absl::StatusOr<EventLog> parsed = ParseEventLog(b.Build());
    REQUIRE(parsed.ok());
    CHECK(parsed->events.size() == 5);
    CHECK(parsed->padding_size == 100);
    CHECK(parsed->padding_byte == filler);
  }
}

TEST_CASE("trailing garbage after the last event is an error", "[eventlog]") {
  LogBuilder b = SmallAgileLog();
  b.Trailing({0x00, 0x00, 0x00, 0x00, 0xFF, 0x01});
  const std::string error = ParseError(b.Build());
  CHECK(error.find("event 5 at offset 0x") == 0);
  CHECK(error.find("truncated") != std::string::npos);
  // A few zero bytes, fewer than any event could be, are a truncated event, not padding.
  LogBuilder short_zeros = SmallAgileLog();
  short_zeros.Trailing(std::vector<uint8_t>(15, 0));
  CHECK(ParseError(short_zeros.Build()).find("event 5 at offset 0x") == 0);
}

TEST_CASE("a Spec ID header with bytes after its vendor info is an error", "[eventlog]") {
  // Build a header whose declared event data is one byte longer than the Spec ID structure.
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha256});
  std::vector<uint8_t> log = b.Build();
  log[28] = static_cast<uint8_t>(log[28] + 1);  // EventDataSize of the header event
  log.push_back(0);
  CHECK(ParseError(log).find("unexpected bytes after the vendor info") != std::string::npos);
}

TEST_CASE("a first event that is not a Spec ID event makes the log legacy", "[eventlog]") {
  LogBuilder b = LogBuilder::Legacy();
  std::vector<uint8_t> data = Bytes("Spec ID Event02");
  data.push_back(0);
  b.Raw(0, kEvNoAction, {{kSha1Id, std::vector<uint8_t>(20, 0)}}, data);
  b.Measure(4, kEvEfiAction, Bytes("x"));
  absl::StatusOr<EventLog> parsed = ParseEventLog(b.Build());
  REQUIRE(parsed.ok());
  CHECK(parsed->format == LogFormat::kSha1Legacy);
  CHECK(parsed->events.size() == 2);
}

// UEFI_IMAGE_LOAD_EVENT (TCG PC Client PFP 1.05 section 10.2.3): ImageLocationInMemory,
// ImageLengthInMemory, ImageLinkTimeAddress, LengthOfDevicePath (all UINT64 little-endian),
// then DevicePath[LengthOfDevicePath].
std::vector<uint8_t> ImageLoadEventData(uint64_t location, uint64_t length,
                                        const std::vector<uint8_t>& device_path) {
  std::vector<uint8_t> out;
  for (uint64_t v : {location, length, uint64_t{0}, uint64_t{device_path.size()}}) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  out.insert(out.end(), device_path.begin(), device_path.end());
  return out;
}

TEST_CASE("a grub linuxefi boot: the kernel image has no device path and the log still replays",
          "[eventlog]") {
  // Debian grub 2.06 under shim: PCR 8 command, PCR 9 the file, then the kernel's
  // EV_EFI_BOOT_SERVICES_APPLICATION (Authenticode digest, LengthOfDevicePath 0), twice with
  // the same digest, then the command line.
  const std::vector<uint8_t> authenticode = Bytes("kernel image authenticode");
  const std::vector<uint8_t> kernel = ImageLoadEventData(0x3d8f2000, 0x7c5a08, {});
  LogBuilder b = LogBuilder::CryptoAgile({HashAlg::kSha1, HashAlg::kSha256});
  b.Measure(0, kEvSCrtmVersion, {})  // an empty CRTM version, as some firmware logs it
      .Measure(8, kEvIpl, Bytes("grub_cmd: linuxefi /vmlinuz root=/dev/vda2"))
      .MeasureOther(9, kEvIpl, Bytes("kernel file"), Bytes("/vmlinuz"))
      .MeasureOther(4, kEvEfiBootServicesApplication, authenticode, kernel)
      .MeasureOther(4, kEvEfiBootServicesApplication, authenticode, kernel)
      .Measure(8, kEvIpl, Bytes("kernel_cmdline: /vmlinuz root=/dev/vda2"));
  absl::StatusOr<EventLog> parsed = ParseEventLog(b.Build());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->events.size() == 7);  // with the Spec ID header
  absl::StatusOr<ReplayResult> replay = Replay(*parsed);
  REQUIRE(replay.ok());
  CHECK(replay->pcrs == b.expected_pcrs());

  const DecodedEvent crtm = DecodeEvent(parsed->events[1]);
  CHECK(crtm.decode_error.empty());
  CHECK(crtm.summary == "CRTM version (empty)");
  for (size_t i : {4, 5}) {
    INFO("event " << i);
    const DecodedEvent decoded = DecodeEvent(parsed->events[i]);
    CHECK(decoded.decode_error.empty());
    CHECK(decoded.summary == "(none: loaded from memory)");
    REQUIRE(std::holds_alternative<ImageLoadEvent>(decoded.content));
    const auto& image = std::get<ImageLoadEvent>(decoded.content);
    CHECK(image.device_path_length == 0);
    CHECK(image.device_path.error.empty());
    CHECK(image.length == 0x7c5a08);
  }
}

TEST_CASE("every event type constant has its spec name", "[eventlog]") {
  CHECK(EventTypeName(kEvSeparator) == "EV_SEPARATOR");
  CHECK(EventTypeName(kEvNoAction) == "EV_NO_ACTION");
  CHECK(EventTypeName(kEvEfiVariableAuthority) == "EV_EFI_VARIABLE_AUTHORITY");
  CHECK(EventTypeName(kEvEfiSpdmFirmwareConfig) == "EV_EFI_SPDM_FIRMWARE_CONFIG");
  CHECK(EventTypeName(kEvEfiPlatformFirmwareBlob2) == "EV_EFI_PLATFORM_FIRMWARE_BLOB2");
  CHECK(EventTypeName(0x1234) == "EV_UNKNOWN_0x1234");
  for (uint32_t type = 0; type <= kEvOmitBootDeviceEvents; ++type) {
    CHECK(EventTypeName(type).rfind("EV_UNKNOWN", 0) != 0);
  }
}

}  // namespace
}  // namespace bootgate::eventlog
