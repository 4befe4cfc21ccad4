#include "server/attestation_id.h"

#include <array>
#include <catch2/catch.hpp>
#include <string>

namespace bootgate::server {
namespace {

std::array<uint8_t, kAttestationIdUniqueBytes> Filled(uint8_t byte) {
  std::array<uint8_t, kAttestationIdUniqueBytes> out;
  out.fill(byte);
  return out;
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST_CASE("an attestation id is its time in seconds, then its unique bytes, in hex",
          "[server][attestation_id]") {
  // 1,750,000,000 s is 0x684EE180: 8 bytes big-endian, then the 24 bytes.
  CHECK(AttestationId(absl::FromUnixSeconds(1'750'000'000) + absl::Milliseconds(999),
                      Filled(0xAB)) == "00000000684ee180" + Repeat("ab", 24));
  CHECK(AttestationId(absl::FromUnixSeconds(-5), Filled(0x01)) ==
        "0000000000000000" + Repeat("01", 24));
}

TEST_CASE("attestation ids sort by time first", "[server][attestation_id]") {
  // What keeps a store's index on them appended to: a later second sorts after, whatever the
  // unique bytes.
  const absl::Time t = absl::FromUnixSeconds(1'750'000'000);
  CHECK(AttestationId(t, Filled(0xFF)) < AttestationId(t + absl::Seconds(1), Filled(0x00)));
  CHECK(AttestationId(t + absl::Seconds(255), Filled(0xFF)) <
        AttestationId(t + absl::Seconds(256), Filled(0x00)));
}

TEST_CASE("random attestation ids differ and carry their time", "[server][attestation_id]") {
  const absl::Time t = absl::FromUnixSeconds(1'750'000'000);
  absl::StatusOr<std::string> a = RandomAttestationId(t);
  absl::StatusOr<std::string> b = RandomAttestationId(t);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a != *b);
  CHECK(a->size() == 64);
  CHECK(a->substr(0, 16) == "00000000684ee180");
  CHECK(a->find_first_not_of("0123456789abcdef") == std::string::npos);
}

}  // namespace
}  // namespace bootgate::server
