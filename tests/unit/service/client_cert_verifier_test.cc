// bootgated's own verification of client certificates (server/bootgated/client_cert_verifier.h):
// what an OpenSSL TLS server verifying its clients refuses is refused here too, each with its
// reason, on certificates made here with OpenSSL.
#include "server/bootgated/client_cert_verifier.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace bootgate::service {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using Key = std::shared_ptr<EVP_PKEY>;
using Cert = std::shared_ptr<X509>;

constexpr time_t kNow = 1800000000;  // 2027-01-15: every check below is at this instant
constexpr long kDay = 86400;

Key EcKey() { return Key(EVP_EC_gen("P-256"), PkeyFree()); }
Key RsaKey(unsigned bits) { return Key(EVP_RSA_gen(bits), PkeyFree()); }

struct Spec {
  std::string cn;
  bool ca = false;
  std::string eku = "";     // e.g. "serverAuth"; empty: none
  long not_before = -kDay;  // relative to kNow
  long not_after = 30 * kDay;
};

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  REQUIRE(ext != nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` signed by `issuer_key` (self-signed when `issuer` is null).
Cert Make(const Spec& spec, const Key& key, const Cert& issuer, const Key& issuer_key) {
  Cert cert(X509_new(), X509Free());
  X509_set_version(cert.get(), 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer.get()) : name);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), kNow + spec.not_before);
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), kNow + spec.not_after);
  X509_set_pubkey(cert.get(), key.get());
  X509* signer = issuer ? issuer.get() : cert.get();
  AddExtension(cert.get(), signer, NID_basic_constraints,
               spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (spec.ca) AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  if (!spec.eku.empty()) AddExtension(cert.get(), signer, NID_ext_key_usage, spec.eku);
  REQUIRE(X509_sign(cert.get(), issuer_key.get(), EVP_sha256()) > 0);
  return cert;
}

std::string Pem(const Cert& cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  REQUIRE(PEM_write_bio_X509(bio.get(), cert.get()) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

struct Pki {
  explicit Pki(const std::string& name = "client root")
      : root(Make({.cn = name, .ca = true}, root_key, nullptr, root_key)),
        bundle(*ClientCaBundle::FromPem(Pem(root), "test")) {}
  Key root_key = EcKey();
  Cert root;
  std::shared_ptr<const ClientCaBundle> bundle;
};

ClientCertificateCheck Verify(const Pki& pki, const Cert& leaf, const std::string& chain = "") {
  return VerifyClientCertificate(pki.bundle.get(), Pem(leaf), chain, kNow);
}

TEST_CASE("a client certificate from the client CA is accepted", "[client_cert]") {
  Pki pki;
  const Key key = EcKey();
  const ClientCertificateCheck check =
      Verify(pki, Make({.cn = "web-7"}, key, pki.root, pki.root_key));
  CHECK(check.accepted());
  CHECK(check.subject == "CN=web-7");
  CHECK(check.issuer == "CN=client root");
  CHECK(check.sha256.size() == 64);
}

TEST_CASE("client certificates outside their validity are expired or not yet valid",
          "[client_cert]") {
  Pki pki;
  const Key key = EcKey();
  const Cert old = Make({.cn = "old", .not_before = -30 * kDay, .not_after = -kDay}, key, pki.root,
                        pki.root_key);
  CHECK(Verify(pki, old).reason == "expired");
  CHECK(Verify(pki, old).not_after.starts_with("2027-01-14T"));
  const Cert future = Make({.cn = "future", .not_before = kDay}, key, pki.root, pki.root_key);
  CHECK(Verify(pki, future).reason == "not_yet_valid");
}

TEST_CASE("a client certificate is refused when its CA is expired", "[client_cert]") {
  const Key root_key = EcKey();
  const Cert root =
      Make({.cn = "old root", .ca = true, .not_before = -30 * kDay, .not_after = -kDay}, root_key,
           nullptr, root_key);
  Pki pki;
  pki.bundle = *ClientCaBundle::FromPem(Pem(root), "test");
  const Key key = EcKey();
  const ClientCertificateCheck check = Verify(pki, Make({.cn = "web-7"}, key, root, root_key));
  CHECK(check.reason == "expired");
  CHECK(check.depth == 1);
}

TEST_CASE("client certificates of another CA, or forged under its name, are refused",
          "[client_cert]") {
  Pki pki;
  Pki other("another CA");
  const Key key = EcKey();
  CHECK(Verify(pki, Make({.cn = "x"}, key, other.root, other.root_key)).reason == "unknown_ca");
  // Another key that calls itself "client root".
  const Key forger_key = EcKey();
  const Cert forger = Make({.cn = "client root", .ca = true}, forger_key, nullptr, forger_key);
  CHECK(Verify(pki, Make({.cn = "x"}, key, forger, forger_key)).reason == "bad_signature");
  // Self-signed.
  CHECK(Verify(pki, Make({.cn = "me"}, key, nullptr, key)).reason == "unknown_ca");
}

TEST_CASE("a client certificate must allow clientAuth when it lists key usages", "[client_cert]") {
  Pki pki;
  const Key key = EcKey();
  CHECK(Verify(pki, Make({.cn = "s", .eku = "serverAuth"}, key, pki.root, pki.root_key)).reason ==
        "wrong_purpose");
  CHECK(
      Verify(pki, Make({.cn = "c", .eku = "clientAuth"}, key, pki.root, pki.root_key)).accepted());
}

TEST_CASE("intermediates: sent along they chain, a non-CA cannot issue, at most 8",
          "[client_cert]") {
  Pki pki;
  std::vector<Key> keys = {pki.root_key};
  std::vector<Cert> cas = {pki.root};
  std::string chain;
  for (int i = 1; i <= 9; ++i) {
    keys.push_back(EcKey());
    cas.push_back(Make({.cn = "intermediate " + std::to_string(i), .ca = true}, keys.back(),
                       cas[i - 1], keys[i - 1]));
  }
  const Key key = EcKey();
  // Under intermediate 8: a chain of 8 intermediates.
  std::string eight;
  for (int i = 8; i >= 1; --i) eight += Pem(cas[i]);
  CHECK(Verify(pki, Make({.cn = "deep"}, key, cas[8], keys[8]), eight).accepted());
  CHECK(Verify(pki, Make({.cn = "deep"}, key, cas[8], keys[8])).reason == "unknown_ca");
  CHECK(Verify(pki, Make({.cn = "deeper"}, key, cas[9], keys[9]), Pem(cas[9]) + eight).reason ==
        "chain_too_long");
  const Key leaf_key = EcKey();
  const Cert leaf = Make({.cn = "leaf"}, leaf_key, pki.root, pki.root_key);
  const ClientCertificateCheck by_leaf =
      Verify(pki, Make({.cn = "by a leaf"}, key, leaf, leaf_key), Pem(leaf));
  CHECK(by_leaf.reason == "invalid_ca");
  CHECK(by_leaf.depth == 1);
}

TEST_CASE("a client RSA key below the system's security level is refused", "[client_cert]") {
  Pki pki;
  const Key small = RsaKey(1024);
  CHECK(Verify(pki, Make({.cn = "small"}, small, pki.root, pki.root_key)).reason == "weak_key");
}

TEST_CASE("no certificate, a malformed one, or no client CA: refused", "[client_cert]") {
  Pki pki;
  CHECK(VerifyClientCertificate(pki.bundle.get(), "", "", kNow).reason == "no_certificate");
  CHECK(VerifyClientCertificate(pki.bundle.get(),
                                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                "", kNow)
            .reason == "malformed");
  const Key key = EcKey();
  const Cert cert = Make({.cn = "x"}, key, pki.root, pki.root_key);
  CHECK(VerifyClientCertificate(nullptr, Pem(cert), "", kNow).reason == "unknown_ca");
  CHECK(VerifyClientCertificate(pki.bundle.get(), Pem(cert), "garbage", kNow).accepted());
}

TEST_CASE("a client CA bundle holds at least one certificate and nothing malformed",
          "[client_cert]") {
  CHECK(!ClientCaBundle::FromPem("", "ca.pem").ok());
  CHECK(!ClientCaBundle::FromPem("not a certificate", "ca.pem").ok());
  CHECK(!ClientCaBundle::FromPem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                 "ca.pem")
             .ok());
  Pki pki;
  const std::string pem = Pem(pki.root);
  auto two = ClientCaBundle::FromPem(pem + pem, "ca.pem");
  REQUIRE(two.ok());
  CHECK((*two)->size() == 2);
  CHECK((*two)->sha256() != pki.bundle->sha256());
}

}  // namespace
}  // namespace bootgate::service
