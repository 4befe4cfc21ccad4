// EFI_SIGNATURE_LIST smuggling (docs/security.md): a PK, KEK or db whose lists are built to
// hide a key from a verifier, or to pass one key off as another. The policy compares every
// entry of a measured variable by its `sha256` (policy/secure_boot_rules.cc, tested in
// evaluate_test.cc); these tests pin what that value is for each hostile shape, from the
// UEFI specification's layout (2.10, 32.4.1 EFI_SIGNATURE_LIST: SignatureType,
// SignatureListSize, SignatureHeaderSize, SignatureSize, header, then EFI_SIGNATURE_DATA
// entries of SignatureOwner + data).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/bootstate/payloads.h"
#include "tests/unit/eventlog_decode/builders.h"
#include "verifier/bootstate/signature_entry.h"
#include "verifier/eventlog/guid.h"
#include "verifier/eventlog/signature_list.h"

namespace bootgate::bootstate {
namespace {

using testing::Bytes;
using testing::Certificate;
using testing::kOwnerGuid;
using testing::Sha256Hex;
namespace el = ::bootgate::eventlog;
namespace elt = ::bootgate::eventlog::testing;

// One EFI_SIGNATURE_LIST of `type` with `header` bytes and one entry holding `data`.
Bytes OneList(const el::Guid& type, const Bytes& data, const Bytes& header = {}) {
  const uint32_t signature_size = static_cast<uint32_t>(16 + data.size());
  return elt::Builder()
      .GuidBytes(type)
      .U32(static_cast<uint32_t>(28 + header.size() + signature_size))
      .U32(static_cast<uint32_t>(header.size()))
      .U32(signature_size)
      .Raw(header)
      .GuidBytes(elt::G(kOwnerGuid.c_str()))
      .Raw(data)
      .Build();
}

Bytes Concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

std::vector<SignatureEntry> Entries(const Bytes& variable_data) {
  auto lists = el::ParseSignatureLists(variable_data);
  REQUIRE(lists.ok());
  return ToSignatureEntries(*lists);
}

const std::string& Clean() {
  static const std::string* fingerprint = new std::string(Sha256Hex(Certificate("Allowed CA")));
  return *fingerprint;
}

TEST_CASE("the clean certificate is known by the SHA-256 of its DER", "[bootstate][smuggling]") {
  const std::vector<SignatureEntry> entries =
      Entries(OneList(el::kEfiCertX509Guid, Certificate("Allowed CA")));
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].kind == SignatureEntry::Kind::kX509);
  CHECK(entries[0].sha256 == Clean());
  CHECK(entries[0].subject == "CN=Allowed CA,O=Example");
}

TEST_CASE("a certificate with bytes after its DER is not the clean certificate",
          "[bootstate][smuggling]") {
  // Firmware's X.509 parser may stop at the end of the DER and trust the certificate; the
  // entry is still other bytes than the baseline's certificate, so it never matches it.
  Bytes padded = Certificate("Allowed CA");
  padded.push_back(0x00);
  const std::vector<SignatureEntry> entries = Entries(OneList(el::kEfiCertX509Guid, padded));
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].kind == SignatureEntry::Kind::kX509);
  CHECK(entries[0].sha256 == Sha256Hex(padded));
  CHECK(entries[0].sha256 != Clean());
  CHECK(entries[0].subject.empty());  // nothing parsed from it is shown as its identity
}

TEST_CASE("a certificate in a list of another type is counted, never taken for a certificate",
          "[bootstate][smuggling]") {
  for (const el::Guid& type : {el::kEfiCertRsa2048Guid, el::kEfiCertX509Sha256Guid,
                               elt::G("0badc0de-0000-4000-8000-000000000001")}) {
    const std::vector<SignatureEntry> entries = Entries(OneList(type, Certificate("Allowed CA")));
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].kind == SignatureEntry::Kind::kOther);
    CHECK(entries[0].subject.empty());
  }
  // A SHA-256 list entry is the hash itself; one of another length is not a hash of that kind.
  const Bytes hash(32, 0xab);
  CHECK(Entries(OneList(el::kEfiCertSha256Guid, hash))[0].kind == SignatureEntry::Kind::kSha256);
  CHECK(Entries(OneList(el::kEfiCertSha256Guid, Bytes(33, 0xab)))[0].kind ==
        SignatureEntry::Kind::kOther);
}

TEST_CASE("every entry of every list counts: a second list cannot hide behind the first",
          "[bootstate][smuggling]") {
  const Bytes two = Concat(OneList(el::kEfiCertX509Guid, Certificate("Allowed CA")),
                           OneList(el::kEfiCertX509Guid, Certificate("Attacker CA")));
  const std::vector<SignatureEntry> entries = Entries(two);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].sha256 == Clean());
  CHECK(entries[1].sha256 == Sha256Hex(Certificate("Attacker CA")));
  // A SignatureHeader (no defined use for these types) does not hide the entries after it.
  const std::vector<SignatureEntry> with_header =
      Entries(OneList(el::kEfiCertX509Guid, Certificate("Attacker CA"), Certificate("Allowed CA")));
  REQUIRE(with_header.size() == 1);
  CHECK(with_header[0].sha256 == Sha256Hex(Certificate("Attacker CA")));
}

TEST_CASE("bytes the lists do not account for make the variable malformed",
          "[bootstate][smuggling]") {
  const Bytes list = OneList(el::kEfiCertX509Guid, Certificate("Allowed CA"));
  // A certificate appended after the last list, outside any SignatureListSize.
  CHECK_FALSE(el::ParseSignatureLists(Concat(list, Certificate("Attacker CA"))).ok());
  // A SignatureListSize that claims less than its entries hold.
  Bytes shrunk = list;
  shrunk[16] = static_cast<uint8_t>(shrunk[16] - 1);
  CHECK_FALSE(el::ParseSignatureLists(shrunk).ok());
  // A SignatureSize that does not divide the list: part of an entry would be unaccounted for.
  Bytes odd = list;
  odd[24] = static_cast<uint8_t>(odd[24] - 1);
  CHECK_FALSE(el::ParseSignatureLists(odd).ok());
}

}  // namespace
}  // namespace bootgate::bootstate
