// Quote verification against its floor: OpenSSL's own verify of the same signature over the
// same message with the same key (EVP_DigestVerify). Rates are verifications per second.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "tests/unit/tpm/quote_builder.h"
#include "verifier/tpm/verify_quote.h"

namespace bootgate::bench {
namespace {

namespace tt = tpm::testing;

struct QuoteMaterial {
  crypto::EvpPkeyPtr key;
  tt::Bytes message;
  tt::Bytes signature;      // TPMT_SIGNATURE
  tt::Bytes raw_signature;  // what EVP_DigestVerify takes (PKCS#1 bytes or DER ECDSA)
  tt::Bytes nonce;
};

QuoteMaterial MakeMaterial(bool ecc) {
  QuoteMaterial m;
  m.key = ecc ? tt::NewEcKey("prime256v1") : tt::NewRsaKey(2048);
  tt::AttestFields fields;
  fields.nonce.assign(32, 0x5a);
  m.nonce = fields.nonce;
  m.message = tt::MarshalAttest(fields);
  m.signature =
      tt::SignTpm(m.key.get(), ecc ? TPM2_ALG_ECDSA : TPM2_ALG_RSASSA, TPM2_ALG_SHA256, m.message);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, m.key.get());
  EVP_DigestSign(ctx, nullptr, &len, m.message.data(), m.message.size());
  m.raw_signature.resize(len);
  EVP_DigestSign(ctx, m.raw_signature.data(), &len, m.message.data(), m.message.size());
  m.raw_signature.resize(len);
  EVP_MD_CTX_free(ctx);
  return m;
}

void BM_VerifyQuote(benchmark::State& state) {
  const QuoteMaterial m = MakeMaterial(state.range(0) == 1);
  tpm::QuoteExpectations expect;
  expect.nonce = m.nonce;
  for (auto _ : state) {
    auto verified = tpm::VerifyQuote({m.message, m.signature, m.key.get()}, expect);
    if (!verified.ok()) state.SkipWithError(std::string(verified.status().message()).c_str());
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) == 1 ? "ecdsa-p256" : "rsa-2048");
}
BENCHMARK(BM_VerifyQuote)->Arg(0)->Arg(1);

void BM_FloorOpenSslVerify(benchmark::State& state) {
  const QuoteMaterial m = MakeMaterial(state.range(0) == 1);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    int ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, m.key.get()) == 1 &&
             EVP_DigestVerify(ctx, m.raw_signature.data(), m.raw_signature.size(), m.message.data(),
                              m.message.size()) == 1;
    if (!ok) state.SkipWithError("OpenSSL verify failed");
    benchmark::DoNotOptimize(ok);
  }
  EVP_MD_CTX_free(ctx);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) == 1 ? "ecdsa-p256" : "rsa-2048");
}
BENCHMARK(BM_FloorOpenSslVerify)->Arg(0)->Arg(1);

}  // namespace
}  // namespace bootgate::bench
