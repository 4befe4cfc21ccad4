// libFuzzer target: the enrollment inputs an agent controls. The bytes are tried as a
// TPM2B_PUBLIC (ParseTpmPublic; for what parses: CheckAkAttributes, CheckEkMatchesKey and
// MakeCredential as if it were an EK) and as an EK certificate (VerifyCertificateChain
// against a fixed small bundle at a fixed instant; for what verifies: KeyFingerprint and
// DefaultEkPublic). Never crashes, leaks or trips UBSan, whatever the bytes.
//
// kBundlePem: "Fuzz EK Root" (P-256, self-signed) and "Fuzz EK Issuing CA" under it, both
// valid 2026-2126, made once with openssl. The seed tests/fuzz/corpus/enroll_fuzz/ek_cert_tcg.der
// is an RSA-2048 EK certificate they issued (empty subject, critical TCG SAN and
// subjectDirectoryAttributes), so seeds reach the accepting path.
#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/time/time.h"
#include "verifier/crypto/openssl_ptr.h"  // X509_get0_pubkey
#include "verifier/enroll/certificate_chain.h"
#include "verifier/enroll/make_credential.h"
#include "verifier/enroll/tpm_public.h"

namespace {

namespace enroll = bootgate::enroll;

constexpr char kBundlePem[] = R"(
-----BEGIN CERTIFICATE-----
MIIBszCCAVigAwIBAgIBATAKBggqhkjOPQQDAjAvMRYwFAYDVQQKDA1ib290Z2F0
ZSBmdXp6MRUwEwYDVQQDDAxGdXp6IEVLIFJvb3QwIBcNMjYxMTI3MDYxMDM0WhgP
MjEyNjExMDMwNjEwMzRaMC8xFjAUBgNVBAoMDWJvb3RnYXRlIGZ1enoxFTATBgNV
BAMMDEZ1enogRUsgUm9vdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABMIDHkSt
fzJvnkConWBp8i9xugGBXTrSVnIAbrt3w3xksO1f/6uYXtq79wCh4AE11WmBXX6j
uxmH2hcvkwoQ3i+jYzBhMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEG
MB0GA1UdDgQWBBQs4U6wyJ8sFR433N50kuMSEs7FqTAfBgNVHSMEGDAWgBQs4U6w
yJ8sFR433N50kuMSEs7FqTAKBggqhkjOPQQDAgNJADBGAiEAjlKdm9yU+zkdj7Xz
l0fYi1q41uYGQ4nwDkrLADhtcFwCIQDSCZy7i2e6IKHZdYXVKT/phKmV1omF/kei
e1aqLlM3dw==
-----END CERTIFICATE-----
-----BEGIN CERTIFICATE-----
MIIBuDCCAV6gAwIBAgIBAjAKBggqhkjOPQQDAjAvMRYwFAYDVQQKDA1ib290Z2F0
ZSBmdXp6MRUwEwYDVQQDDAxGdXp6IEVLIFJvb3QwIBcNMjYxMTI3MDYxMDM0WhgP
MjEyNjExMDMwNjEwMzRaMDUxFjAUBgNVBAoMDWJvb3RnYXRlIGZ1enoxGzAZBgNV
BAMMEkZ1enogRUsgSXNzdWluZyBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IA
BF4ww5hJTRhZWAGekqFbtpSYX/WtnFD2ieQCpHS1DfinOlj3MtPJ3bP86XAs6CqU
VenwikyMTex1OXZ4+fflHlKjYzBhMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/
BAQDAgEGMB0GA1UdDgQWBBTU7AwwWIwfWD0o1DsQ1Fc/eyyA3DAfBgNVHSMEGDAW
gBQs4U6wyJ8sFR433N50kuMSEs7FqTAKBggqhkjOPQQDAgNIADBFAiEA7EHeuwXg
Tk4CIDz5Jxr0jBv+0V0UJ25olzIhrERCmccCIGliKBtK/p8mh1pwsqVmcF9RENDq
zgDC5SRJ/8j9FfTh
-----END CERTIFICATE-----
)";

const enroll::TrustBundle& Bundle() {
  static const enroll::TrustBundle* const bundle = [] {
    auto b = enroll::TrustBundle::FromPem(kBundlePem, "fuzz bundle");
    if (!b.ok() || b->roots().size() != 1) __builtin_trap();  // the embedded bundle is good
    return new enroll::TrustBundle(*std::move(b));
  }();
  return *bundle;
}

const absl::Time kNow = absl::FromUnixSeconds(1893456000);  // 2030-01-01T00:00:00Z

// A Name (SHA-256) and a secret for MakeCredential on whatever parses as an EK.
constexpr uint8_t kName[34] = {0x00, 0x0b, 0x5a, 0x11, 0x22, 0x33};
constexpr uint8_t kSecret[16] = {0x5e, 0xc7, 0xe7};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);

  if (auto pub = enroll::ParseTpmPublic(input); pub.ok()) {
    (void)enroll::CheckAkAttributes(pub->area);
    (void)enroll::MakeCredential(pub->area, kName, kSecret);
    // Turns the area into an OpenSSL key and compares it with the root CA's key.
    (void)enroll::CheckEkMatchesKey(pub->area, X509_get0_pubkey(Bundle().roots()[0].get()));
  }

  if (auto cert = enroll::VerifyCertificateChain(input, Bundle(), kNow, "EK certificate");
      cert.ok()) {
    (void)enroll::KeyFingerprint(cert->key.get());
    if (auto ek = enroll::DefaultEkPublic(cert->key.get()); ek.ok()) {
      // A default EK area is made from the key: it must match it.
      if (!enroll::CheckEkMatchesKey(*ek, cert->key.get()).ok()) __builtin_trap();
      (void)enroll::MakeCredential(*ek, kName, kSecret);
    }
  }
  return 0;
}
