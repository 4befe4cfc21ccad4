#include "verifier/bytes/reader.h"

#include <catch2/catch.hpp>
#include <vector>

namespace bootgate::bytes {
namespace {

TEST_CASE("reader reads integers in the byte order asked for", "[bytes]") {
  const std::vector<uint8_t> data = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  Reader le(data);
  CHECK(*le.U32Le("a") == 0x04030201u);
  CHECK(*le.U32Le("b") == 0x08070605u);
  CHECK(le.empty());
  Reader be(data);
  CHECK(*be.U16Be("a") == 0x0102);
  CHECK(*be.U32Be("b") == 0x03040506u);
  CHECK(*be.U16Le("c") == 0x0807);
  Reader le64(data);
  CHECK(*le64.U64Le("a") == 0x0807060504030201ull);
}

TEST_CASE("reader refuses every read past the end and names field and offset", "[bytes]") {
  const std::vector<uint8_t> data = {1, 2, 3};
  for (size_t skip = 0; skip <= data.size(); ++skip) {
    Reader r(data, 100);
    REQUIRE(r.Skip(skip, "prefix").ok());
    const size_t left = data.size() - skip;
    CHECK(r.Bytes(left + 1, "payload").status().message() ==
          "offset " + std::to_string(100 + skip) + ": truncated payload: need " +
              std::to_string(left + 1) + " bytes, " + std::to_string(left) + " left");
    // A failed read consumes nothing.
    CHECK(r.remaining() == left);
    if (left < 4) CHECK_FALSE(r.U32Le("x").ok());
  }
}

TEST_CASE("reader survives sizes near SIZE_MAX", "[bytes]") {
  const std::vector<uint8_t> data = {1, 2, 3, 4};
  Reader r(data);
  REQUIRE(r.Skip(2, "x").ok());
  CHECK_FALSE(r.Bytes(SIZE_MAX, "huge").ok());
  CHECK_FALSE(r.Bytes(SIZE_MAX - 1, "huge").ok());
  CHECK(r.remaining() == 2);
}

TEST_CASE("sub-reader reports offsets in the whole input", "[bytes]") {
  const std::vector<uint8_t> data(16, 0);
  Reader r(data);
  REQUIRE(r.Skip(10, "x").ok());
  auto sub = r.Sub(4, "inner");
  REQUIRE(sub.ok());
  REQUIRE(sub->Skip(4, "all").ok());
  CHECK(sub->U8("beyond").status().message() ==
        "offset 14: truncated beyond: need 1 bytes, 0 left");
  CHECK(r.offset() == 14);
  CHECK(r.Rest().size() == 2);
  CHECK(r.empty());
}

TEST_CASE("count limits are checked before allocation", "[bytes]") {
  CHECK(CheckCount(10, 10, "event").ok());
  CHECK(CheckCount(11, 10, "event").message() == "event count 11 exceeds the limit of 10");
}

}  // namespace
}  // namespace bootgate::bytes
