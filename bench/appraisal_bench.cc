// The full appraisal in-process, next to its crypto floor.
//
// BM_AppraiseEvidence: appraisal::AppraiseEvidence (quote verify, log parse, replay, pcrDigest
// check, event decode, boot state, policy, verdict) of a bundle under its policy, the quote
// re-signed by a software AK (as the load generator signs it). Bundles (first argument):
//   0  good-host: the swtpm fixture (tests/data/appraisal/good-host) under
//      policies/fixtures/good-host.textproto;
//   1  real boot: the captured Debian 12 Secure Boot VM (tests/data/realboot/golden: OVMF,
//      shim, grub, kernel) under the policy `baseline learn` makes of it.
// BM_AppraisalFloor: the crypto the same appraisal cannot avoid, done directly with OpenSSL
// EVP: one signature verify of the same message by the same key, every extend of every
// (non-EV_NO_ACTION) event into every bank, and one hash per bank of the data of each event
// whose data is checked against its digest. The second argument is the AK: 0 RSA-2048,
// 1 ECDSA P-256. Rates are appraisals per second; report.py states appraisal / floor.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "bench/good_host_evidence.h"
#include "cli/baseline_learn.h"
#include "verifier/appraisal/appraise_evidence.h"
#include "verifier/crypto/hash.h"
#include "verifier/eventlog/event_data_check.h"
#include "verifier/eventlog/event_types.h"
#include "verifier/eventlog/parse.h"

namespace bootgate::bench {
namespace {

std::string SourceDir() { return BOOTGATE_SOURCE_DIR; }

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "bench: %s\n", std::string(status.message()).c_str());
  std::abort();
}

const char* BundleName(int64_t bundle) { return bundle == 1 ? "real-boot" : "good-host"; }

std::string BundleDir(int64_t bundle) {
  return SourceDir() +
         (bundle == 1 ? "/tests/data/realboot/golden" : "/tests/data/appraisal/good-host");
}

// Evidence for one (bundle, AK) pair, loaded once per benchmark run.
struct Case {
  GoodHostEvidence evidence;
  SignedQuote quote;
  v1::Policy policy;

  appraisal::Evidence Input() const {
    appraisal::Evidence input;
    input.message = quote.message;
    input.signature = quote.signature;
    input.ak = evidence.ak();
    input.event_log = std::span<const uint8_t>(evidence.event_log());
    return input;
  }
};

// The good host's policy file; for the real boot, the policy `baseline learn` makes of the
// verified evidence (the bundle's host is then affirming, with no finding).
v1::Policy PolicyFor(int64_t bundle, const Case& c) {
  if (bundle == 0) {
    auto p = ReadPolicyFile(SourceDir() + "/policies/fixtures/good-host.textproto");
    if (!p.ok()) Die(p.status());
    return *std::move(p);
  }
  auto verified = appraisal::VerifyEvidence(c.Input(), c.evidence.bundle_nonce());
  if (!verified.ok()) Die(verified.status());
  if (!verified->rejections.empty() || !verified->quote.has_value()) {
    Die(absl::InternalError("the real boot's evidence does not verify"));
  }
  return cli::LearnPolicy(verified->boot.state, verified->quote->quote.pcr_selection,
                          {.policy_name = "bench",
                           .version = "1",
                           .group = "bench",
                           .host_id = c.evidence.bundle_host()});
}

Case LoadCase(int64_t bundle, int64_t ak) {
  auto evidence =
      GoodHostEvidence::Load(BundleDir(bundle), ak == 1 ? AkKind::kEcdsaP256 : AkKind::kRsa2048);
  if (!evidence.ok()) Die(evidence.status());
  Case c{*std::move(evidence), {}, {}};
  c.quote = c.evidence.Sign(c.evidence.bundle_nonce(), 1000);
  c.policy = PolicyFor(bundle, c);
  return c;
}

void Label(benchmark::State& state) {
  state.SetLabel(std::string(BundleName(state.range(0))) + ", " +
                 AkKindName(state.range(1) == 1 ? AkKind::kEcdsaP256 : AkKind::kRsa2048));
}

void BM_AppraiseEvidence(benchmark::State& state) {
  const Case c = LoadCase(state.range(0), state.range(1));
  const appraisal::Evidence input = c.Input();
  for (auto _ : state) {
    auto appraised = appraisal::AppraiseEvidence(input, c.evidence.bundle_nonce(), c.policy,
                                                 c.evidence.bundle_host(), absl::Now());
    if (!appraised.ok() || appraised->tier != appraisal::Tier::kAffirming) {
      state.SkipWithError("the bundle's host is not affirming under its policy");
      break;
    }
    benchmark::DoNotOptimize(appraised);
  }
  state.SetItemsProcessed(state.iterations());
  Label(state);
}
BENCHMARK(BM_AppraiseEvidence)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMicrosecond);

// One hash the floor does: `parts` concatenated, with `md`.
struct FloorHash {
  const EVP_MD* md;
  std::vector<std::span<const uint8_t>> parts;
};

void BM_AppraisalFloor(benchmark::State& state) {
  const Case c = LoadCase(state.range(0), state.range(1));
  auto log = eventlog::ParseEventLog(c.evidence.event_log());
  if (!log.ok()) Die(log.status());
  // A raw signature over the same message by the same key: what EVP_DigestVerify checks.
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t signature_size = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, c.evidence.ak());
  EVP_DigestSign(ctx, nullptr, &signature_size, c.quote.message.data(), c.quote.message.size());
  std::vector<uint8_t> signature(signature_size);
  EVP_DigestSign(ctx, signature.data(), &signature_size, c.quote.message.data(),
                 c.quote.message.size());
  signature.resize(signature_size);
  // The extends (a PCR value's size of zeros stands for the running value) and the re-hashes.
  std::vector<FloorHash> hashes;
  std::vector<uint8_t> pcr(64, 0);
  for (const eventlog::Event& event : log->events) {
    if (event.type == eventlog::kEvNoAction) continue;
    const eventlog::DataCheck check = eventlog::VerifyEventData(event).overall;
    const bool rehashed =
        check == eventlog::DataCheck::kVerified || check == eventlog::DataCheck::kMismatch;
    for (const eventlog::EventDigest& d : event.digests) {
      if (!d.alg.has_value()) continue;
      const EVP_MD* md = crypto::EvpMd(*d.alg);
      const std::span<const uint8_t> digest(d.digest.data(), d.digest.size());
      hashes.push_back({md, {std::span<const uint8_t>(pcr.data(), digest.size()), digest}});
      if (rehashed) hashes.push_back({md, {std::span<const uint8_t>(event.data)}});
    }
  }
  EVP_MD_CTX* hash_ctx = EVP_MD_CTX_new();
  uint8_t out[EVP_MAX_MD_SIZE];
  for (auto _ : state) {
    bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, c.evidence.ak()) == 1 &&
              EVP_DigestVerify(ctx, signature.data(), signature.size(), c.quote.message.data(),
                               c.quote.message.size()) == 1;
    for (const FloorHash& h : hashes) {
      ok = ok && EVP_DigestInit_ex(hash_ctx, h.md, nullptr) == 1;
      for (std::span<const uint8_t> part : h.parts) {
        ok = ok && EVP_DigestUpdate(hash_ctx, part.data(), part.size()) == 1;
      }
      ok = ok && EVP_DigestFinal_ex(hash_ctx, out, nullptr) == 1;
    }
    if (!ok) state.SkipWithError("OpenSSL failed");
    benchmark::DoNotOptimize(out);
  }
  EVP_MD_CTX_free(hash_ctx);
  EVP_MD_CTX_free(ctx);
  state.SetItemsProcessed(state.iterations());
  state.counters["hashes"] = static_cast<double>(hashes.size());
  Label(state);
}
BENCHMARK(BM_AppraisalFloor)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace bootgate::bench
