// The full appraisal in-process: appraisal::AppraiseEvidence (quote verify, log parse, replay,
// pcrDigest check, event decode, boot state, policy, verdict) of the good-host evidence bundle
// under its policy. This is the rate the service's end-to-end figure (bench/load.sh) is compared
// with: the same evidence (re-signed by a software AK, as the load generator signs it), the same
// policy, minus gRPC, tokens, JWT signing and the store. Rates are appraisals per second.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "absl/time/clock.h"
#include "bench/good_host_evidence.h"
#include "verifier/appraisal/appraise_evidence.h"
#include "verifier/tpm/ak_public.h"

namespace bootgate::bench {
namespace {

std::string SourceDir() { return BOOTGATE_SOURCE_DIR; }

const bootgate::v1::Policy& GoodHostPolicy() {
  static const bootgate::v1::Policy* const policy = [] {
    auto p = ReadPolicyFile(SourceDir() + "/policies/fixtures/good-host.textproto");
    if (!p.ok()) {
      std::fprintf(stderr, "bench: %s\n", std::string(p.status().message()).c_str());
      std::abort();
    }
    return new bootgate::v1::Policy(*std::move(p));
  }();
  return *policy;
}

// Arg 0: RSA-2048 AK, 1: ECDSA P-256 AK (the load generator's default).
void BM_AppraiseEvidence(benchmark::State& state) {
  const AkKind kind = state.range(0) == 1 ? AkKind::kEcdsaP256 : AkKind::kRsa2048;
  auto evidence = GoodHostEvidence::Load(SourceDir() + "/tests/data/appraisal/good-host", kind);
  if (!evidence.ok()) {
    state.SkipWithError(std::string(evidence.status().message()).c_str());
    return;
  }
  const SignedQuote quote = evidence->Sign(evidence->bundle_nonce(), 1000);
  appraisal::Evidence input;
  input.message = quote.message;
  input.signature = quote.signature;
  input.ak = evidence->ak();
  input.event_log = std::span<const uint8_t>(evidence->event_log());
  const bootgate::v1::Policy& policy = GoodHostPolicy();
  for (auto _ : state) {
    auto appraised = appraisal::AppraiseEvidence(input, evidence->bundle_nonce(), policy,
                                                 evidence->bundle_host(), absl::Now());
    if (!appraised.ok() || appraised->tier != appraisal::Tier::kAffirming) {
      state.SkipWithError("the good host is not affirming");
      break;
    }
    benchmark::DoNotOptimize(appraised);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(AkKindName(kind));
}
BENCHMARK(BM_AppraiseEvidence)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace bootgate::bench
