#include "tests/unit/eventlog_decode/builders.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "verifier/crypto/hash.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::eventlog::testing {

Builder& Builder::U8(uint8_t v) {
  out_.push_back(v);
  return *this;
}
Builder& Builder::U16(uint16_t v) {
  for (int i = 0; i < 2; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return *this;
}
Builder& Builder::U32(uint32_t v) {
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return *this;
}
Builder& Builder::U64(uint64_t v) {
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return *this;
}
Builder& Builder::Raw(const Bytes& b) {
  out_.insert(out_.end(), b.begin(), b.end());
  return *this;
}
Builder& Builder::Str(const std::string& s) {
  out_.insert(out_.end(), s.begin(), s.end());
  return *this;
}
Builder& Builder::Utf16(const std::string& ascii, bool nul) {
  for (char c : ascii) U16(static_cast<uint8_t>(c));
  if (nul) U16(0);
  return *this;
}
Builder& Builder::GuidBytes(const Guid& g) {
  out_.insert(out_.end(), g.bytes.begin(), g.bytes.end());
  return *this;
}

Guid G(const char* text) {
  // Used in namespace-scope constants, before any test runs: no REQUIRE here.
  auto guid = GuidFromString(text);
  if (!guid.ok()) std::abort();
  return *guid;
}

Bytes UefiVariableData(const Guid& vendor, const std::string& name, const Bytes& data) {
  return Builder()
      .GuidBytes(vendor)
      .U64(name.size())
      .U64(data.size())
      .Utf16(name, false)
      .Raw(data)
      .Build();
}

Bytes SignatureList(const Guid& type, const Guid& owner, const std::vector<Bytes>& entries) {
  const uint32_t size = entries.empty() ? 16 : static_cast<uint32_t>(16 + entries[0].size());
  Builder b;
  b.GuidBytes(type).U32(static_cast<uint32_t>(28 + size * entries.size())).U32(0).U32(size);
  for (const Bytes& e : entries) b.GuidBytes(owner).Raw(e);
  return b.Build();
}

Bytes Node(uint8_t type, uint8_t subtype, const Bytes& body) {
  return Builder()
      .U8(type)
      .U8(subtype)
      .U16(static_cast<uint16_t>(4 + body.size()))
      .Raw(body)
      .Build();
}

Bytes EndNode() { return Node(0x7F, 0xFF, {}); }

Bytes ImageLoad(uint64_t location, uint64_t length, uint64_t link, const Bytes& device_path) {
  return Builder()
      .U64(location)
      .U64(length)
      .U64(link)
      .U64(device_path.size())
      .Raw(device_path)
      .Build();
}

Event MakeEvent(uint32_t pcr, uint32_t type, const Bytes& data, const Bytes& measured) {
  Event event;
  event.pcr = pcr;
  event.type = type;
  event.data = data;
  for (crypto::HashAlg alg : {crypto::HashAlg::kSha1, crypto::HashAlg::kSha256}) {
    auto digest = crypto::Hash(alg, measured);
    REQUIRE(digest.ok());
    event.digests.push_back(EventDigest{.alg_id = static_cast<uint16_t>(alg),
                                        .alg = alg,
                                        .digest = LoggedDigest(digest->begin(), digest->end())});
  }
  return event;
}

Event MakeEvent(uint32_t pcr, uint32_t type, const Bytes& data) {
  return MakeEvent(pcr, type, data, data);
}

Bytes MakeCertificate(const std::string& cn) {
  crypto::EvpPkeyPtr key(EVP_EC_gen("P-256"));
  REQUIRE(key != nullptr);
  crypto::X509Ptr cert(X509_new());
  REQUIRE(cert != nullptr);
  REQUIRE(X509_set_version(cert.get(), 2) == 1);
  REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  REQUIRE(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>("Example"), -1, -1,
                                     0) == 1);
  REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                     0) == 1);
  REQUIRE(X509_set_issuer_name(cert.get(), name) == 1);
  REQUIRE(X509_set_pubkey(cert.get(), key.get()) == 1);
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  const int len = i2d_X509(cert.get(), nullptr);
  REQUIRE(len > 0);
  Bytes der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  REQUIRE(i2d_X509(cert.get(), &p) == len);
  return der;
}

}  // namespace bootgate::eventlog::testing
