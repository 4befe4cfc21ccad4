#include "verifier/crypto/hash.h"

#include <catch2/catch.hpp>
#include <string>

#include "verifier/bytes/hex.h"

namespace bootgate::crypto {
namespace {

std::span<const uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST_CASE("hash matches the FIPS 180 test vectors", "[crypto]") {
  CHECK(bytes::ToHex(*Hash(HashAlg::kSha1, AsBytes("abc"))) ==
        "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(bytes::ToHex(*Hash(HashAlg::kSha256, AsBytes("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("extend computes H(pcr || digest) and checks the PCR size", "[crypto]") {
  Digest pcr(32, 0);
  const Digest digest(32, 0x11);
  REQUIRE(Extend(HashAlg::kSha256, pcr, digest).ok());
  Digest concat(32, 0);
  concat.insert(concat.end(), digest.begin(), digest.end());
  CHECK(pcr == *Hash(HashAlg::kSha256, concat));
  Digest wrong(20, 0);
  CHECK_FALSE(Extend(HashAlg::kSha256, wrong, digest).ok());
}

TEST_CASE("algorithm ids, names and sizes agree", "[crypto]") {
  CHECK(HashAlgFromTpmId(0x000B) == HashAlg::kSha256);
  CHECK_FALSE(HashAlgFromTpmId(0x0001).has_value());
  CHECK(HashAlgFromName("sha384") == HashAlg::kSha384);
  CHECK(DigestSize(HashAlg::kSha384) == 48);
  CHECK(HashAlgName(HashAlg::kSha1) == "sha1");
}

TEST_CASE("constant-time compare needs equal length and bytes", "[crypto]") {
  const Digest a = {1, 2, 3};
  CHECK(ConstantTimeEquals(a, Digest{1, 2, 3}));
  CHECK_FALSE(ConstantTimeEquals(a, Digest{1, 2, 4}));
  CHECK_FALSE(ConstantTimeEquals(a, Digest{1, 2}));
}

}  // namespace
}  // namespace bootgate::crypto
