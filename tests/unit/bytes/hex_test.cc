#include "verifier/bytes/hex.h"

#include <catch2/catch.hpp>

namespace bootgate::bytes {
namespace {

TEST_CASE("hex round-trips and rejects malformed input", "[bytes]") {
  const std::vector<uint8_t> data = {0x00, 0xab, 0xff, 0x10};
  CHECK(ToHex(data) == "00abff10");
  CHECK(*FromHex("00ABff10") == data);
  CHECK(*FromHex("0x00abff10") == data);
  CHECK(FromHex("").value().empty());
  CHECK_FALSE(FromHex("abc").ok());
  CHECK_FALSE(FromHex("zz").ok());
  CHECK_FALSE(FromHex("0g").ok());
}

}  // namespace
}  // namespace bootgate::bytes
