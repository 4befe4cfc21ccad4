// Enrollment.Start's verifier work against its floors, measured in the same run:
//   - MakeCredential (software TPM2_MakeCredential) for an RSA-2048 EK, against OpenSSL's own
//     RSA-OAEP encryption of the seed with the same key (the public-key step it cannot avoid),
//     and for a P-256 EK, against an ephemeral ECDH key agreement on the curve;
//   - VerifyCertificateChain of an EK certificate (root -> intermediate -> leaf), against
//     OpenSSL's X509_verify_cert of the same, already parsed, chain.
// Rates are operations per second.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509_vfy.h>

#include <string>
#include <vector>

#include "tests/unit/enroll/cert_builder.h"
#include "tests/unit/tpm/quote_builder.h"
#include "verifier/enroll/certificate_chain.h"
#include "verifier/enroll/make_credential.h"
#include "verifier/enroll/tpm_public.h"

namespace bootgate::bench {
namespace {

namespace tt = tpm::testing;
namespace et = enroll::testing;

const std::vector<uint8_t> kAkName = [] {  // nameAlg SHA-256 || 32 bytes
  std::vector<uint8_t> name(34, 0x5b);
  name[0] = 0x00;
  name[1] = 0x0b;
  return name;
}();
const std::vector<uint8_t> kSecret(32, 0x5a);

void BM_MakeCredential(benchmark::State& state) {
  const bool ecc = state.range(0) == 1;
  crypto::EvpPkeyPtr ek_key = ecc ? tt::NewEcKey("prime256v1") : tt::NewRsaKey(2048);
  absl::StatusOr<TPMT_PUBLIC> ek = enroll::DefaultEkPublic(ek_key.get());
  if (!ek.ok()) {
    state.SkipWithError(std::string(ek.status().message()).c_str());
    return;
  }
  for (auto _ : state) {
    auto credential = enroll::MakeCredential(*ek, kAkName, kSecret);
    if (!credential.ok()) state.SkipWithError(std::string(credential.status().message()).c_str());
    benchmark::DoNotOptimize(credential);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(ecc ? "ecc-p256 EK" : "rsa-2048 EK");
}
BENCHMARK(BM_MakeCredential)->Arg(0)->Arg(1);

// The public-key step of MakeCredential done by OpenSSL alone: RSA-OAEP(SHA-256) of a 32-byte
// seed, or an ephemeral P-256 key pair and ECDH with the EK.
void BM_FloorOpenSslSeed(benchmark::State& state) {
  const bool ecc = state.range(0) == 1;
  crypto::EvpPkeyPtr ek_key = ecc ? tt::NewEcKey("prime256v1") : tt::NewRsaKey(2048);
  std::vector<uint8_t> out(512);
  for (auto _ : state) {
    size_t len = out.size();
    if (ecc) {
      EVP_PKEY* ephemeral = EVP_EC_gen("P-256");
      EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(ephemeral, nullptr);
      EVP_PKEY_derive_init(ctx);
      EVP_PKEY_derive_set_peer(ctx, ek_key.get());
      EVP_PKEY_derive(ctx, out.data(), &len);
      EVP_PKEY_CTX_free(ctx);
      EVP_PKEY_free(ephemeral);
    } else {
      EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(ek_key.get(), nullptr);
      EVP_PKEY_encrypt_init(ctx);
      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING);
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256());
      EVP_PKEY_encrypt(ctx, out.data(), &len, kSecret.data(), kSecret.size());
      EVP_PKEY_CTX_free(ctx);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(ecc ? "ECDH P-256 + key generation" : "RSA-OAEP 2048");
}
BENCHMARK(BM_FloorOpenSslSeed)->Arg(0)->Arg(1);

struct Chain {
  crypto::EvpPkeyPtr root_key, intermediate_key, leaf_key;
  crypto::X509Ptr root, intermediate, leaf;
  enroll::TrustBundle bundle;
  std::vector<uint8_t> leaf_der;
};

Chain MakeChain() {
  Chain c;
  c.root_key = tt::NewEcKey("prime256v1");
  c.intermediate_key = tt::NewEcKey("prime256v1");
  c.leaf_key = tt::NewRsaKey(2048);
  et::CertSpec ca;
  ca.ca = true;
  ca.common_name = "bench TPM root CA";
  c.root = et::MakeCertificate(ca, c.root_key.get(), nullptr, nullptr);
  ca.common_name = "bench TPM EK CA 01";
  c.intermediate =
      et::MakeCertificate(ca, c.intermediate_key.get(), c.root.get(), c.root_key.get());
  et::CertSpec leaf;
  leaf.directory_attribute_oid = "2.23.133.2.16";
  c.leaf =
      et::MakeCertificate(leaf, c.leaf_key.get(), c.intermediate.get(), c.intermediate_key.get());
  c.leaf_der = et::ToDer(c.leaf.get());
  c.bundle = *enroll::TrustBundle::FromPem(
      et::ToPem(c.root.get()) + et::ToPem(c.intermediate.get()), "bench bundle");
  return c;
}

void BM_VerifyEkCertificate(benchmark::State& state) {
  const Chain c = MakeChain();
  const absl::Time now = absl::FromCivil(absl::CivilDay(2030, 1, 1), absl::UTCTimeZone());
  for (auto _ : state) {
    auto verified = enroll::VerifyCertificateChain(c.leaf_der, c.bundle, now, "EK certificate");
    if (!verified.ok()) state.SkipWithError(std::string(verified.status().message()).c_str());
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyEkCertificate);

// OpenSSL's X509_verify_cert of the same chain, certificates already parsed, TCG extension
// accepted by flag: the signatures and checks any chain verification must do.
void BM_FloorOpenSslVerifyChain(benchmark::State& state) {
  const Chain c = MakeChain();
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, c.root.get());
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  sk_X509_push(untrusted, c.intermediate.get());
  const time_t at = absl::ToTimeT(absl::FromCivil(absl::CivilDay(2030, 1, 1), absl::UTCTimeZone()));
  for (auto _ : state) {
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, c.leaf.get(), untrusted);
    X509_STORE_CTX_set_time(ctx, 0, at);
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_IGNORE_CRITICAL);
    const int ok = X509_verify_cert(ctx);
    if (ok != 1) state.SkipWithError("X509_verify_cert failed");
    X509_STORE_CTX_free(ctx);
  }
  sk_X509_free(untrusted);
  X509_STORE_free(store);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FloorOpenSslVerifyChain);

}  // namespace
}  // namespace bootgate::bench
