// PolicyService.DryRun over N hosts in-process: the re-appraisal a policy push runs
// (server/bootgated/reappraisal.h) on a SQLite store of N hosts, each with one attestation of
// the good-host bundle (tests/data/appraisal/good-host) re-signed by one software AK with the
// host's own nonce, so every host's quote differs and its event log is the same. The
// candidate is the fixtures' good-host policy under a new version (no verdict changes): the
// time is the per-host read of the latest record (evidence included), its appraisal, the
// server findings' store reads and the comparison. Argument: N. Rate: hosts per second.
// Setup (N real Attest calls, one commit each) is outside the timing.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/good_host_evidence.h"
#include "server/bootgated/attestation_service.h"
#include "server/bootgated/config.h"
#include "server/bootgated/policy_service.h"
#include "server/bootgated/service_context.h"
#include "server/token.h"

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
  ~Fleet() {
    context.reset();
    std::filesystem::remove_all(dir);
  }
};

std::unique_ptr<Fleet> MakeFleet(int hosts) {
  auto fleet = std::make_unique<Fleet>();
  std::string tmpl = (std::filesystem::temp_directory_path() / "bootgate-dryrun.XXXXXX").string();
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

  const std::string pem = evidence->AkPem();
  for (int i = 0; i < hosts; ++i) {
    server::store::Host h;
    h.host_id = absl::StrCat("bench-", i);
    h.group = "good-host";
    h.ak_public = pem;
    if (absl::Status s = ctx->store->RegisterHost(h, false); !s.ok()) Fail("register", s);
    v1::ChallengeRequest cr;
    cr.set_host_id(h.host_id);
    auto challenge = service::Challenge(*ctx, cr, absl::Now());
    if (!challenge.ok()) Fail("challenge", challenge.status());
    auto nonce = server::QualifyingData(challenge->token());
    if (!nonce.ok()) Fail("nonce", nonce.status());
    // One AK for every host, one clock value: no quote is below the AK's highest counters (a
    // clock that moved forward would make every earlier host's quote a rollback when judged
    // again, as it would be for hosts really sharing a TPM).
    const SignedQuote quote = evidence->Sign(*nonce, 1'000'000);
    v1::AttestRequest request;
    request.set_host_id(h.host_id);
    request.set_token(challenge->token());
    request.set_quote(std::string(quote.message.begin(), quote.message.end()));
    request.set_signature(std::string(quote.signature.begin(), quote.signature.end()));
    request.set_event_log(std::string(evidence->event_log().begin(), evidence->event_log().end()));
    auto verdict = service::Attest(*ctx, request, absl::Now());
    if (!verdict.ok()) Fail("attest", verdict.status());
    if (!verdict->placement_eligible()) {
      Fail("attest", absl::InternalError(absl::StrCat(
                         h.host_id, " is not eligible: ", verdict->findings(0).code())));
    }
  }
  fleet->candidate = *policy;
  fleet->candidate.set_version("bench-2");
  fleet->context = std::move(ctx);
  return fleet;
}

void BM_DryRun(benchmark::State& state) {
  static std::map<int, std::unique_ptr<Fleet>> fleets;
  const int hosts = static_cast<int>(state.range(0));
  auto& fleet = fleets[hosts];
  if (!fleet) fleet = MakeFleet(hosts);
  for (auto _ : state) {
    auto result = service::DryRun(*fleet->context, fleet->candidate, absl::Now());
    if (!result.ok()) Fail("DryRun", result.status());
    if (result->hosts_evaluated() != static_cast<uint32_t>(hosts) || result->changes_size() != 0) {
      Fail("DryRun", absl::InternalError(absl::StrCat(result->hosts_evaluated(), " evaluated, ",
                                                      result->changes_size(), " changes")));
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * hosts);
  state.counters["hosts"] = hosts;
}
BENCHMARK(BM_DryRun)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace bootgate::bench
