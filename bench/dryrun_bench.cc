// PolicyService.DryRun and a policy push (ReappraiseAll) over N hosts in-process: the
// re-appraisal a push runs (server/bootgated/reappraisal.h) on a SQLite store of N hosts, each
// with one attestation of the good-host bundle (tests/data/appraisal/good-host) signed by one
// software AK with the host's own nonce, so every host's quote differs and its event log is the
// same. The candidate is the fixtures' good-host policy under a new version: no verdict changes
// (the push records nothing but its audit record). The time is the per-host read of the latest
// record (evidence included), its appraisal (quote signature, nonce, PCR digest, replay,
// policy), the server findings' store reads and the comparison, on the machine's cores.
// Argument: N. Rate: hosts per second. Counter fill_s: the fill, outside the timing.
// The fill: host 0 through Challenge + Attest; the others registered and their evidence
// appraised and recorded (RecordVerdict, as Attest does after its checks) on kFillThreads
// threads, so that commits group. BOOTGATE_DRYRUN_DIR: where the store goes (default: the temp
// directory; a tmpfs such as /dev/shm makes the fill's commits cheap).
//   bootgate_dryrun_bench --benchmark_filter='/100000'   (about a minute on 2 cores)
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/good_host_evidence.h"
#include "server/attestation_id.h"
#include "server/bootgated/access.h"
#include "server/bootgated/attestation_service.h"
#include "server/bootgated/config.h"
#include "server/bootgated/hosts_service.h"
#include "server/bootgated/policy_service.h"
#include "server/bootgated/reappraisal.h"
#include "server/bootgated/service_context.h"
#include "server/bootgated/verdict_recorder.h"
#include "server/token.h"
#include "verifier/appraisal/appraise_evidence.h"
#include "verifier/crypto/hash.h"

namespace bootgate::bench {
namespace {

[[noreturn]] void Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "dryrun_bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::abort();
}

struct Fleet {
  std::string dir;
  std::unique_ptr<service::ServiceContext> context;
  v1::Policy candidate;
  double fill_seconds = 0;
  int pushes = 0;
  ~Fleet() {
    context.reset();
    std::filesystem::remove_all(dir);
  }
};

std::unique_ptr<Fleet> MakeFleet(int hosts) {
  auto fleet = std::make_unique<Fleet>();
  const char* base = std::getenv("BOOTGATE_DRYRUN_DIR");
  std::string tmpl = (std::filesystem::path(base != nullptr && *base != '\0'
                                                ? std::filesystem::path(base)
                                                : std::filesystem::temp_directory_path()) /
                      "bootgate-dryrun.XXXXXX")
                         .string();
  if (mkdtemp(tmpl.data()) == nullptr) Fail("mkdtemp", absl::InternalError(tmpl));
  fleet->dir = tmpl;

  auto evidence = GoodHostEvidence::Load(
      std::string(BOOTGATE_SOURCE_DIR) + "/tests/data/appraisal/good-host", AkKind::kEcdsaP256);
  if (!evidence.ok()) Fail("evidence", evidence.status());
  auto policy =
      ReadPolicyFile(std::string(BOOTGATE_SOURCE_DIR) + "/policies/fixtures/good-host.textproto");
  if (!policy.ok()) Fail("policy", policy.status());
  for (int i = 0; i < hosts; ++i) policy->mutable_groups(0)->add_hosts(absl::StrCat("bench-", i));

  auto ctx = std::make_unique<service::ServiceContext>();
  v1::ServerConfig config;
  config.set_data_dir(fleet->dir);
  ctx->config = service::WithDefaults(config);
  auto store = server::store::OpenStore(service::StoreUrl(ctx->config));
  if (!store.ok()) Fail("store", store.status());
  ctx->store = *std::move(store);
  auto tokens =
      server::TokenService::Create({1, std::vector<uint8_t>(32, 0x5a)}, {}, absl::Minutes(5));
  if (!tokens.ok()) Fail("tokens", tokens.status());
  ctx->tokens = std::make_unique<server::TokenService>(*std::move(tokens));
  auto keys = server::LoadOrCreateKeySet(fleet->dir + "/signing");
  if (!keys.ok()) Fail("keys", keys.status());
  ctx->signing_keys = std::make_unique<server::KeySet>(*std::move(keys));
  auto active = std::make_shared<service::ActivePolicy>();
  active->policy = *policy;
  active->stored_at = absl::Now();
  ctx->policies = std::make_unique<service::PolicyHolder>(ctx->store.get(), active);
  ctx->metrics = std::make_unique<service::Metrics>();
  ctx->placement = std::make_unique<service::PlacementHub>(ctx->store.get(), ctx->policies.get());

  const absl::Time fill_start = absl::Now();
  const std::string pem = evidence->AkPem();
  auto ak_fingerprint = service::AkFingerprint(evidence->ak());
  if (!ak_fingerprint.ok()) Fail("fingerprint", ak_fingerprint.status());
  // One AK for every host, one clock value: no quote is below the AK's highest counters (a
  // clock that moved forward would make every earlier host's quote a rollback when judged
  // again, as it would be for hosts really sharing a TPM).
  constexpr uint64_t kClockMs = 1'000'000;
  std::atomic<int> next{0};
  const policy::HostGroupIndex groups(*policy);
  auto fill = [&] {
    for (int i = next.fetch_add(1); i < hosts; i = next.fetch_add(1)) {
      server::store::Host h;
      h.host_id = absl::StrCat("bench-", i);
      h.group = "good-host";
      h.ak_public = pem;
      if (absl::Status s = ctx->store->RegisterHost(h, false); !s.ok()) Fail("register", s);
      const absl::Time now = absl::Now();
      if (i == 0) {
        // The first host the way an agent does it: the rest must give the same verdicts.
        v1::ChallengeRequest cr;
        cr.set_host_id(h.host_id);
        auto challenge = service::Challenge(*ctx, cr, now);
        if (!challenge.ok()) Fail("challenge", challenge.status());
        auto nonce = server::QualifyingData(challenge->token());
        if (!nonce.ok()) Fail("nonce", nonce.status());
        const SignedQuote quote = evidence->Sign(*nonce, kClockMs);
        v1::AttestRequest request;
        request.set_host_id(h.host_id);
        request.set_token(challenge->token());
        request.set_quote(std::string(quote.message.begin(), quote.message.end()));
        request.set_signature(std::string(quote.signature.begin(), quote.signature.end()));
        request.set_event_log(
            std::string(evidence->event_log().begin(), evidence->event_log().end()));
        auto verdict = service::Attest(*ctx, request, now);
        if (!verdict.ok()) Fail("attest", verdict.status());
        if (!verdict->placement_eligible()) {
          Fail("attest", absl::InternalError(absl::StrCat(
                             h.host_id, " is not eligible: ", verdict->findings(0).code())));
        }
        continue;
      }
      const std::string seed = absl::StrCat("bootgate-dryrun-bench-nonce-", i);
      auto nonce = crypto::Hash(crypto::HashAlg::kSha256,
                                {reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
      if (!nonce.ok()) Fail("nonce", nonce.status());
      const SignedQuote quote = evidence->Sign(*nonce, kClockMs);
      appraisal::Evidence e;
      e.message = quote.message;
      e.signature = quote.signature;
      e.ak = evidence->ak();
      e.event_log = evidence->event_log();
      auto appraised = appraisal::AppraiseEvidence(e, *nonce, *policy, h.host_id, now, &groups);
      if (!appraised.ok()) Fail("appraise", appraised.status());
      const std::string quote_msg(quote.message.begin(), quote.message.end());
      // A host just registered: no counters accepted yet, no rollback.
      auto clock = service::AddServerFindings(*ctx, h.host_id, quote_msg, *ak_fingerprint,
                                              server::store::RollbackState{}, true,
                                              service::RollbackRecording::kRecord, now, *appraised);
      if (!clock.ok()) Fail("server findings", clock.status());
      if (!appraised->placement_eligible || !*clock) {
        Fail("appraise", absl::InternalError(absl::StrCat(h.host_id, " is not eligible")));
      }
      service::VerdictRecord record;
      record.host_id = h.host_id;
      record.host_group = h.group;
      auto id = server::RandomAttestationId(now);
      if (!id.ok()) Fail("id", id.status());
      record.attestation_id = *id;
      record.nonce = *nonce;
      record.evidence.quote_msg = quote_msg;
      record.evidence.quote_sig = std::string(quote.signature.begin(), quote.signature.end());
      record.evidence.event_log =
          std::string(evidence->event_log().begin(), evidence->event_log().end());
      record.ak_fingerprint = *ak_fingerprint;
      record.clock = *clock;
      auto recorded = service::RecordVerdict(*ctx, std::move(record), *appraised,
                                             ctx->policies->Current(), now);
      if (!recorded.ok()) Fail("record", recorded.status());
    }
  };
  {
    constexpr int kFillThreads = 16;  // commits of many threads group (Batcher)
    std::vector<std::thread> threads;
    for (int t = 0; t < kFillThreads; ++t) threads.emplace_back(fill);
    for (std::thread& t : threads) t.join();
  }
  fleet->fill_seconds = absl::ToDoubleSeconds(absl::Now() - fill_start);
  fleet->candidate = *policy;
  fleet->candidate.set_version("bench-2");
  fleet->context = std::move(ctx);
  return fleet;
}

Fleet& FleetOf(int hosts) {
  // Destroyed at exit: the stores' directories go with them.
  static std::map<int, std::unique_ptr<Fleet>> fleets;
  auto& fleet = fleets[hosts];
  if (!fleet) fleet = MakeFleet(hosts);
  return *fleet;
}

void BM_DryRun(benchmark::State& state) {
  const int hosts = static_cast<int>(state.range(0));
  Fleet& fleet = FleetOf(hosts);
  for (auto _ : state) {
    auto result = service::DryRun(*fleet.context, fleet.candidate, absl::Now());
    if (!result.ok()) Fail("DryRun", result.status());
    if (result->hosts_evaluated() != static_cast<uint32_t>(hosts) || result->changes_size() != 0) {
      Fail("DryRun", absl::InternalError(absl::StrCat(result->hosts_evaluated(), " evaluated, ",
                                                      result->changes_size(), " changes")));
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * hosts);
  state.counters["hosts"] = hosts;
  state.counters["fill_s"] = fleet.fill_seconds;
  state.counters["threads"] = service::ReappraisalThreads();
}

// A push of the candidate (a new version: stored, made active, every host judged again, no
// verdict changes): PolicyHolder::Push then ReappraiseAll, as PolicyService.Put runs them.
void BM_Push(benchmark::State& state) {
  const int hosts = static_cast<int>(state.range(0));
  Fleet& fleet = FleetOf(hosts);
  for (auto _ : state) {
    v1::Policy pushed = fleet.candidate;
    pushed.set_version(absl::StrCat("bench-push-", ++fleet.pushes));
    auto stored = fleet.context->policies->Push(pushed, "", "bench");
    if (!stored.ok()) Fail("push", stored.status());
    const v1::Reappraisal r = service::ReappraiseAll(*fleet.context, *stored, service::Caller{},
                                                     "bench push", absl::Minutes(10));
    if (!r.complete() || r.hosts_evaluated() != static_cast<uint32_t>(hosts) ||
        r.hosts_changed() != 0) {
      Fail("push", absl::InternalError(absl::StrCat(r.hosts_evaluated(), " evaluated, ",
                                                    r.hosts_changed(), " changed")));
    }
  }
  state.SetItemsProcessed(state.iterations() * hosts);
  state.counters["hosts"] = hosts;
  state.counters["fill_s"] = fleet.fill_seconds;
  state.counters["threads"] = service::ReappraisalThreads();
}

BENCHMARK(BM_DryRun)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK(BM_Push)
    ->Arg(1000)
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

}  // namespace
}  // namespace bootgate::bench
