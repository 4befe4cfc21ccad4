#include "tests/unit/bootstate/payloads.h"

#include <catch2/catch.hpp>
#include <map>

#include "tests/unit/eventlog_decode/builders.h"
#include "verifier/bytes/hex.h"
#include "verifier/crypto/hash.h"
#include "verifier/eventlog/guid.h"

namespace bootgate::bootstate::testing {

namespace el = ::bootgate::eventlog;
namespace elt = ::bootgate::eventlog::testing;

const std::string kOwnerGuid = "77fa9abd-0359-4d32-bd60-28f4e78f784b";

Bytes Text(std::string_view text, bool nul) {
  Bytes out(text.begin(), text.end());
  if (nul) out.push_back(0);
  return out;
}

Bytes GlobalVar(const std::string& name, const Bytes& data) {
  return elt::UefiVariableData(el::kEfiGlobalVariableGuid, name, data);
}

Bytes SecurityDbVar(const std::string& name, const Bytes& data) {
  return elt::UefiVariableData(el::kEfiImageSecurityDatabaseGuid, name, data);
}

Bytes ShimVar(const std::string& name, const Bytes& data) {
  return elt::UefiVariableData(el::kShimLockGuid, name, data);
}

Bytes CertLists(const std::vector<Bytes>& certs) {
  Bytes out;
  for (const Bytes& cert : certs) {
    Bytes list = elt::SignatureList(el::kEfiCertX509Guid, elt::G(kOwnerGuid.c_str()), {cert});
    out.insert(out.end(), list.begin(), list.end());
  }
  return out;
}

Bytes HashList(const std::vector<Bytes>& hashes) {
  return elt::SignatureList(el::kEfiCertSha256Guid, elt::G(kOwnerGuid.c_str()), hashes);
}

const Bytes& Certificate(const std::string& cn) {
  static std::map<std::string, Bytes>* certs = new std::map<std::string, Bytes>();
  auto it = certs->find(cn);
  if (it == certs->end()) it = certs->emplace(cn, elt::MakeCertificate(cn)).first;
  return it->second;
}

Bytes OwnedCert(const Bytes& der) {
  return elt::Builder().GuidBytes(elt::G(kOwnerGuid.c_str())).Raw(der).Build();
}

Bytes ImagePath(const std::string& path) {
  Bytes device_path = elt::Node(4, 4, elt::Builder().Utf16(path).Build());
  Bytes end = elt::EndNode();
  device_path.insert(device_path.end(), end.begin(), end.end());
  return elt::ImageLoad(0x7e000000, 0x100000, 0, device_path);
}

Bytes ImageFromMemory() { return elt::ImageLoad(0x7e000000, 0x100000, 0, {}); }

Bytes Blob2(const std::string& description, uint64_t base, uint64_t length) {
  return elt::Builder()
      .U8(static_cast<uint8_t>(description.size()))
      .Str(description)
      .U64(base)
      .U64(length)
      .Build();
}

std::string Sha256Hex(const Bytes& data) {
  auto digest = crypto::Hash(crypto::HashAlg::kSha256, data);
  REQUIRE(digest.ok());
  return bytes::ToHex(*digest);
}

}  // namespace bootgate::bootstate::testing
