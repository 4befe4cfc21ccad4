#include "verifier/eventlog/signature_list.h"

#include <catch2/catch.hpp>

#include "tests/unit/eventlog_decode/builders.h"
#include "verifier/bytes/hex.h"
#include "verifier/crypto/hash.h"

namespace bootgate::eventlog {
namespace {

using testing::Builder;
using testing::Bytes;

const Guid kOwner = testing::G("77fa9abd-0359-4d32-bd60-28f4e78f784b");

Bytes Concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

TEST_CASE("guid text round-trips in registry format with mixed-endian storage",
          "[eventlog_decode]") {
  const Guid g = testing::G("8BE4DF61-93CA-11d2-AA0D-00E098032B8C");
  CHECK(g.bytes[0] == 0x61);
  CHECK(g.bytes[3] == 0x8b);
  CHECK(g.bytes[4] == 0xca);
  CHECK(g.bytes[8] == 0xaa);
  CHECK(g.ToString() == "8be4df61-93ca-11d2-aa0d-00e098032b8c");
  CHECK(g == kEfiGlobalVariableGuid);
  CHECK_FALSE(GuidFromString("8be4df61-93ca-11d2-aa0d-00e098032b8").ok());
  CHECK_FALSE(GuidFromString("8be4df61x93ca-11d2-aa0d-00e098032b8c").ok());
  CHECK_FALSE(GuidFromString("8be4df61-93ca-11d2-aa0d-00e098032bzz").ok());
}

TEST_CASE("signature lists decode X.509 certificates and hashes", "[eventlog_decode]") {
  const Bytes cert_a = testing::MakeCertificate("Test UEFI CA");
  const Bytes cert_b = testing::MakeCertificate("Other Key");
  const Bytes hash1(32, 0x11), hash2(32, 0x22);
  const Bytes data = Concat(Concat(testing::SignatureList(kEfiCertX509Guid, kOwner, {cert_a}),
                                   testing::SignatureList(kEfiCertX509Guid, kOwner, {cert_b})),
                            testing::SignatureList(kEfiCertSha256Guid, kOwner, {hash1, hash2}));
  auto lists = ParseSignatureLists(data);
  REQUIRE(lists.ok());
  REQUIRE(lists->size() == 3);
  const SignatureList& first = (*lists)[0];
  CHECK(first.type == kEfiCertX509Guid);
  CHECK(first.list_size == 28 + 16 + cert_a.size());
  CHECK(first.header_size == 0);
  CHECK(first.signature_size == 16 + cert_a.size());
  REQUIRE(first.entries.size() == 1);
  CHECK(first.entries[0].owner == kOwner);
  CHECK(first.entries[0].data == cert_a);
  REQUIRE(first.entries[0].x509.has_value());
  CHECK(first.entries[0].x509->common_name == "Test UEFI CA");
  CHECK(first.entries[0].x509->subject == "CN=Test UEFI CA,O=Example");
  CHECK(first.entries[0].x509->issuer == "CN=Test UEFI CA,O=Example");
  CHECK(first.entries[0].x509->sha256_fingerprint ==
        bytes::ToHex(*crypto::Hash(crypto::HashAlg::kSha256, cert_a)));
  const SignatureList& hashes = (*lists)[2];
  CHECK(SignatureTypeName(hashes.type) == "EFI_CERT_SHA256_GUID");
  REQUIRE(hashes.entries.size() == 2);
  CHECK(hashes.entries[1].data == hash2);
  CHECK_FALSE(hashes.entries[1].x509.has_value());
  CHECK(SummarizeSignatureLists(*lists) ==
        "2 X509 certs (CN=Test UEFI CA; CN=Other Key), 2 SHA256 hashes");
}

TEST_CASE("signature lists: an empty variable is zero lists", "[eventlog_decode]") {
  auto lists = ParseSignatureLists({});
  REQUIRE(lists.ok());
  CHECK(lists->empty());
  CHECK(SummarizeSignatureLists(*lists) == "0 X509 certs, 0 SHA256 hashes");
}

TEST_CASE("signature lists: an X.509 entry that is not DER is kept but not summarized",
          "[eventlog_decode]") {
  const Bytes junk(40, 0x30);
  auto lists = ParseSignatureLists(testing::SignatureList(kEfiCertX509Guid, kOwner, {junk}));
  REQUIRE(lists.ok());
  CHECK((*lists)[0].entries[0].data == junk);
  CHECK_FALSE((*lists)[0].entries[0].x509.has_value());
  CHECK(SummarizeSignatureLists(*lists) == "1 X509 cert (unparsable), 0 SHA256 hashes");
}

TEST_CASE("signature lists reject inconsistent sizes with the offset", "[eventlog_decode]") {
  auto header = [](uint32_t list_size, uint32_t header_size, uint32_t sig_size) {
    return Builder().GuidBytes(kEfiCertSha256Guid).U32(list_size).U32(header_size).U32(sig_size);
  };
  // SignatureSize below an owner GUID (0 would divide by zero).
  for (uint32_t sig_size : {0u, 1u, 15u}) {
    auto r = ParseSignatureLists(header(28 + 32, 0, sig_size).Raw(Bytes(32)).Build(), 100);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "offset 100: SignatureSize " + std::to_string(sig_size) +
                                      " is smaller than an owner GUID");
  }
  // ListSize smaller than its header, or beyond the data.
  CHECK(ParseSignatureLists(header(27, 0, 48).Build()).status().message() ==
        "offset 0: SignatureListSize 27 is smaller than its header (28 bytes)");
  CHECK(ParseSignatureLists(header(28 + 10, 20, 48).Raw(Bytes(10)).Build()).status().message() ==
        "offset 0: SignatureListSize 38 is smaller than its header (48 bytes)");
  CHECK(ParseSignatureLists(header(0xFFFFFFFF, 0, 48).Raw(Bytes(48)).Build()).status().message() ==
        "offset 0: SignatureListSize 4294967295 goes past the end of the data");
  // Entries that do not fill the list exactly.
  CHECK(ParseSignatureLists(header(28 + 50, 0, 48).Raw(Bytes(50)).Build()).status().message() ==
        "offset 0: 50 bytes of signatures are not a multiple of SignatureSize 48");
  // The header size is honoured.
  auto with_header = ParseSignatureLists(header(28 + 4 + 48, 4, 48).Raw(Bytes(52, 9)).Build());
  REQUIRE(with_header.ok());
  CHECK((*with_header)[0].header == Bytes(4, 9));
  CHECK((*with_header)[0].entries.size() == 1);
}

TEST_CASE("signature lists cap the number of entries", "[eventlog_decode]") {
  const uint64_t count = kMaxSignatureEntries + 1;
  Bytes data = Builder()
                   .GuidBytes(kEfiCertSha256Guid)
                   .U32(static_cast<uint32_t>(28 + 16 * count))
                   .U32(0)
                   .U32(16)
                   .Build();
  data.resize(data.size() + 16 * count);
  auto r = ParseSignatureLists(data);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "signature entry count 100001 exceeds the limit of 100000");
}

TEST_CASE("signature lists: every truncation fails cleanly", "[eventlog_decode]") {
  const Bytes data =
      Concat(testing::SignatureList(kEfiCertX509Guid, kOwner, {testing::MakeCertificate("T")}),
             testing::SignatureList(kEfiCertSha256Guid, kOwner, {Bytes(32, 1)}));
  REQUIRE(ParseSignatureLists(data).ok());
  const size_t first_size = data.size() - (28 + 48);
  for (size_t n = 1; n < data.size(); ++n) {
    INFO("size " << n);
    auto r = ParseSignatureLists(bytes::ByteSpan(data).first(n));
    // The one valid prefix is the first list alone.
    CHECK(r.ok() == (n == first_size));
  }
}

}  // namespace
}  // namespace bootgate::eventlog
