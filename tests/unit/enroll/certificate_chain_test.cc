// Trust bundles and chain verification against certificates made in the test: root ->
// intermediate -> leaf, expired and not yet valid certificates, untrusted roots, path length,
// the TCG critical subjectDirectoryAttributes and unknown critical extensions.
#include "verifier/enroll/certificate_chain.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/enroll/cert_builder.h"
#include "tests/unit/tpm/quote_builder.h"
#include "verifier/bytes/hex.h"
#include "verifier/crypto/hash.h"

namespace bootgate::enroll {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::CertSpec;
using testing::MakeCertificate;
using testing::ToDer;
using testing::ToPem;

constexpr char kTpmSpecOid[] = "2.23.133.2.16";
const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2030, 6, 1, 12, 0, 0), absl::UTCTimeZone());

std::string Message(const absl::Status& s) { return std::string(s.message()); }
bool Contains(const absl::Status& s, const std::string& text) {
  return Message(s).find(text) != std::string::npos;
}

// A manufacturer-style hierarchy: root CA -> intermediate CA -> EK certificates.
struct Pki {
  crypto::EvpPkeyPtr root_key = tpm::testing::NewEcKey("prime256v1");
  crypto::EvpPkeyPtr intermediate_key = tpm::testing::NewEcKey("prime256v1");
  crypto::X509Ptr root = MakeCertificate({.common_name = "Test Root CA", .ca = true},
                                         root_key.get(), nullptr, nullptr);
  crypto::X509Ptr intermediate =
      MakeCertificate({.common_name = "Test EK Issuing CA", .ca = true}, intermediate_key.get(),
                      root.get(), root_key.get());

  TrustBundle Bundle() const {
    auto bundle = TrustBundle::FromPem(ToPem(root.get()) + ToPem(intermediate.get()), "ca.pem");
    REQUIRE(bundle.ok());
    return *std::move(bundle);
  }
  crypto::X509Ptr Leaf(const CertSpec& spec, EVP_PKEY* key) const {
    return MakeCertificate(spec, key, intermediate.get(), intermediate_key.get());
  }
};

TEST_CASE("TrustBundle sorts roots from intermediates and merges files", "[enroll]") {
  Pki pki;
  TrustBundle bundle = pki.Bundle();
  CHECK(bundle.roots().size() == 1);
  CHECK(bundle.intermediates().size() == 1);
  Pki other;
  auto more = TrustBundle::FromPem(ToPem(other.root.get()), "other.pem");
  REQUIRE(more.ok());
  bundle.Add(*std::move(more));
  CHECK(bundle.roots().size() == 2);
  CHECK(bundle.intermediates().size() == 1);
}

TEST_CASE("TrustBundle::FromPem refuses files without CA certificates", "[enroll]") {
  Pki pki;
  crypto::EvpPkeyPtr key = tpm::testing::NewEcKey("prime256v1");
  crypto::X509Ptr leaf = pki.Leaf({.common_name = "not a CA"}, key.get());

  auto none = TrustBundle::FromPem("no certificates here\n", "empty.pem");
  CHECK(none.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(none.status()) == "empty.pem: no PEM certificate found");

  auto not_ca = TrustBundle::FromPem(ToPem(pki.root.get()) + ToPem(leaf.get()), "mixed.pem");
  CHECK(not_ca.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(not_ca.status()) ==
        "mixed.pem: certificate 2 (CN=not a CA, O=bootgate tests) is not a CA certificate");

  std::string broken = ToPem(pki.root.get()) + ToPem(pki.intermediate.get());
  broken.replace(broken.rfind("-----END") - 20, 8, "!!!!!!!!");  // corrupt the base64
  auto malformed = TrustBundle::FromPem(broken, "broken.pem");
  CHECK(malformed.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Contains(malformed.status(), "broken.pem: certificate 2 is malformed"));
}

TEST_CASE("VerifyCertificateChain accepts a leaf under an intermediate, DER or PEM", "[enroll]") {
  Pki pki;
  crypto::EvpPkeyPtr key = tpm::testing::NewRsaKey(2048);
  crypto::X509Ptr leaf = pki.Leaf({.common_name = "host-17 EK"}, key.get());
  const TrustBundle bundle = pki.Bundle();
  const Bytes der = ToDer(leaf.get());
  auto verified = VerifyCertificateChain(der, bundle, kNow, "EK certificate");
  REQUIRE(verified.ok());
  CHECK(EVP_PKEY_eq(verified->key.get(), key.get()) == 1);
  CHECK(verified->subject == "CN=host-17 EK, O=bootgate tests");
  CHECK(verified->common_name == "host-17 EK");
  CHECK(verified->fingerprint == bytes::ToHex(*crypto::Hash(crypto::HashAlg::kSha256, der)));
  CHECK(verified->not_after == absl::FromCivil(absl::CivilDay(2040, 1, 1), absl::UTCTimeZone()));

  const std::string pem = ToPem(leaf.get());
  auto from_pem =
      VerifyCertificateChain(Bytes(pem.begin(), pem.end()), bundle, kNow, "EK certificate");
  REQUIRE(from_pem.ok());
  CHECK(from_pem->fingerprint == verified->fingerprint);
}

TEST_CASE("VerifyCertificateChain refuses expired and not yet valid certificates", "[enroll]") {
  Pki pki;
  crypto::EvpPkeyPtr key = tpm::testing::NewEcKey("prime256v1");
  const TrustBundle bundle = pki.Bundle();

  SECTION("expired leaf") {
    crypto::X509Ptr leaf = pki.Leaf(
        {.not_after = absl::FromCivil(absl::CivilDay(2021, 1, 1), absl::UTCTimeZone())}, key.get());
    auto r = VerifyCertificateChain(ToDer(leaf.get()), bundle, kNow, "EK certificate");
    CHECK(r.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK(Message(r.status()) ==
          "EK certificate expired at 2021-01-01T00:00:00Z (now 2030-06-01T12:00:00Z)");
  }
  SECTION("leaf not valid yet") {
    crypto::X509Ptr leaf =
        pki.Leaf({.common_name = "future",
                  .not_before = absl::FromCivil(absl::CivilDay(2031, 1, 1), absl::UTCTimeZone())},
                 key.get());
    auto r = VerifyCertificateChain(ToDer(leaf.get()), bundle, kNow, "AK certificate");
    CHECK(r.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK(Message(r.status()) ==
          "AK certificate CN=future, O=bootgate tests is not valid before "
          "2031-01-01T00:00:00Z (now 2030-06-01T12:00:00Z)");
  }
  SECTION("expired intermediate") {
    crypto::X509Ptr old_ca = MakeCertificate(
        {.common_name = "Old Issuing CA",
         .ca = true,
         .not_after = absl::FromCivil(absl::CivilDay(2025, 3, 1), absl::UTCTimeZone())},
        pki.intermediate_key.get(), pki.root.get(), pki.root_key.get());
    auto old_bundle = TrustBundle::FromPem(ToPem(pki.root.get()) + ToPem(old_ca.get()), "old.pem");
    REQUIRE(old_bundle.ok());
    crypto::X509Ptr leaf = MakeCertificate({}, key.get(), old_ca.get(), pki.intermediate_key.get());
    auto r = VerifyCertificateChain(ToDer(leaf.get()), *old_bundle, kNow, "EK certificate");
    CHECK(r.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK(Message(r.status()) ==
          "EK certificate: its CA certificate CN=Old Issuing CA, O=bootgate tests expired at "
          "2025-03-01T00:00:00Z (now 2030-06-01T12:00:00Z)");
    // The same chain at a time when everything was valid.
    const absl::Time then = absl::FromCivil(absl::CivilDay(2024, 1, 1), absl::UTCTimeZone());
    CHECK(VerifyCertificateChain(ToDer(leaf.get()), *old_bundle, then, "EK certificate").ok());
  }
}

TEST_CASE("VerifyCertificateChain refuses leaves that do not chain to a root", "[enroll]") {
  Pki pki;
  Pki stranger;
  crypto::EvpPkeyPtr key = tpm::testing::NewEcKey("prime256v1");
  crypto::X509Ptr leaf = stranger.Leaf({}, key.get());  // empty subject, as EK certs have

  auto r = VerifyCertificateChain(ToDer(leaf.get()), pki.Bundle(), kNow, "EK certificate");
  CHECK(r.status().code() == absl::StatusCode::kPermissionDenied);
  CHECK(Message(r.status()) ==
        "EK certificate (issuer CN=Test EK Issuing CA, O=bootgate tests) does not chain to a "
        "trusted CA: unable to get local issuer certificate");

  SECTION("an intermediate alone is not trusted") {
    auto only_intermediate = TrustBundle::FromPem(ToPem(pki.intermediate.get()), "i.pem");
    REQUIRE(only_intermediate.ok());
    CHECK(only_intermediate->roots().empty());
    crypto::X509Ptr own = pki.Leaf({}, key.get());
    auto r2 = VerifyCertificateChain(ToDer(own.get()), *only_intermediate, kNow, "EK certificate");
    CHECK(r2.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK(Contains(r2.status(), "does not chain to a trusted CA"));
  }
  SECTION("a broken signature") {
    Bytes der = ToDer(pki.Leaf({}, key.get()).get());
    der[der.size() - 5] ^= 0x01;  // inside the signature value
    auto r3 = VerifyCertificateChain(der, pki.Bundle(), kNow, "EK certificate");
    CHECK(r3.status().code() == absl::StatusCode::kPermissionDenied);
  }
}

TEST_CASE("VerifyCertificateChain enforces the CAs' path length", "[enroll]") {
  crypto::EvpPkeyPtr root_key = tpm::testing::NewEcKey("prime256v1");
  crypto::EvpPkeyPtr ca_key = tpm::testing::NewEcKey("prime256v1");
  crypto::EvpPkeyPtr sub_key = tpm::testing::NewEcKey("prime256v1");
  crypto::EvpPkeyPtr key = tpm::testing::NewEcKey("prime256v1");
  crypto::X509Ptr root = MakeCertificate({.common_name = "Root", .ca = true, .path_length = 0},
                                         root_key.get(), nullptr, nullptr);
  crypto::X509Ptr ca =
      MakeCertificate({.common_name = "CA", .ca = true}, ca_key.get(), root.get(), root_key.get());
  crypto::X509Ptr leaf =
      MakeCertificate({.common_name = "leaf"}, key.get(), ca.get(), ca_key.get());
  auto bundle = TrustBundle::FromPem(ToPem(root.get()) + ToPem(ca.get()), "pathlen.pem");
  REQUIRE(bundle.ok());
  auto r = VerifyCertificateChain(ToDer(leaf.get()), *bundle, kNow, "AK certificate");
  CHECK(r.status().code() == absl::StatusCode::kPermissionDenied);
  CHECK(Contains(r.status(), "path length constraint exceeded"));
}

TEST_CASE("VerifyCertificateChain accepts the TCG critical subjectDirectoryAttributes only",
          "[enroll]") {
  Pki pki;
  crypto::EvpPkeyPtr key = tpm::testing::NewRsaKey(2048);
  const TrustBundle bundle = pki.Bundle();

  crypto::X509Ptr tcg = pki.Leaf({.directory_attribute_oid = kTpmSpecOid}, key.get());
  auto ok = VerifyCertificateChain(ToDer(tcg.get()), bundle, kNow, "EK certificate");
  REQUIRE(ok.ok());
  CHECK(ok->subject.empty());
  CHECK(ok->common_name.empty());

  crypto::X509Ptr foreign =
      pki.Leaf({.directory_attribute_oid = "1.2.840.113549.1.9.1"}, key.get());
  auto r = VerifyCertificateChain(ToDer(foreign.get()), bundle, kNow, "EK certificate");
  CHECK(r.status().code() == absl::StatusCode::kPermissionDenied);
  CHECK(Contains(r.status(), "holds attributes other than the TCG ones"));

  crypto::X509Ptr unknown = pki.Leaf(
      {.directory_attribute_oid = kTpmSpecOid, .critical_extension_oid = "1.3.6.1.4.1.55555.1"},
      key.get());
  auto r2 = VerifyCertificateChain(ToDer(unknown.get()), bundle, kNow, "EK certificate");
  CHECK(r2.status().code() == absl::StatusCode::kPermissionDenied);
  CHECK(Message(r2.status()) ==
        "EK certificate (issuer CN=Test EK Issuing CA, O=bootgate tests) is refused: unhandled "
        "critical extension 1.3.6.1.4.1.55555.1");

  SECTION("also in a CA certificate") {
    crypto::X509Ptr odd_ca = MakeCertificate(
        {.common_name = "Odd CA", .ca = true, .critical_extension_oid = "1.3.6.1.4.1.55555.2"},
        pki.intermediate_key.get(), pki.root.get(), pki.root_key.get());
    auto odd_bundle = TrustBundle::FromPem(ToPem(pki.root.get()) + ToPem(odd_ca.get()), "odd.pem");
    REQUIRE(odd_bundle.ok());
    crypto::X509Ptr leaf = MakeCertificate({}, key.get(), odd_ca.get(), pki.intermediate_key.get());
    auto r3 = VerifyCertificateChain(ToDer(leaf.get()), *odd_bundle, kNow, "EK certificate");
    CHECK(r3.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK(Contains(r3.status(),
                   "unhandled critical extension 1.3.6.1.4.1.55555.2 in its CA "
                   "certificate CN=Odd CA"));
  }
}

TEST_CASE("VerifyCertificateChain refuses bytes that are not one certificate", "[enroll]") {
  Pki pki;
  const TrustBundle bundle = pki.Bundle();
  crypto::EvpPkeyPtr key = tpm::testing::NewEcKey("prime256v1");
  Bytes der = ToDer(pki.Leaf({}, key.get()).get());

  CHECK(VerifyCertificateChain({}, bundle, kNow, "EK certificate").status().code() ==
        absl::StatusCode::kInvalidArgument);
  const Bytes garbage = {0x30, 0x82, 0x01, 0x00, 0x01, 0x02};
  auto g = VerifyCertificateChain(garbage, bundle, kNow, "EK certificate");
  CHECK(g.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Contains(g.status(), "EK certificate: not a DER or PEM X.509 certificate"));
  for (size_t n : {size_t{1}, der.size() / 2, der.size() - 1}) {
    CAPTURE(n);
    CHECK(VerifyCertificateChain(std::span<const uint8_t>(der.data(), n), bundle, kNow, "EK")
              .status()
              .code() == absl::StatusCode::kInvalidArgument);
  }
  Bytes padded = der;
  padded.push_back(0xff);
  auto p = VerifyCertificateChain(padded, bundle, kNow, "EK certificate");
  CHECK(Message(p.status()) ==
        "EK certificate: 1 bytes follow the DER certificate (send the certificate alone)");
  const Bytes huge(kMaxCertificateBytes + 1, 0x30);
  CHECK(VerifyCertificateChain(huge, bundle, kNow, "EK").status().code() ==
        absl::StatusCode::kInvalidArgument);
  const std::string bad_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  CHECK(VerifyCertificateChain(Bytes(bad_pem.begin(), bad_pem.end()), bundle, kNow, "EK")
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bootgate::enroll
