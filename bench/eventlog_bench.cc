// Event log parse + replay against its floor: the same PCR extends done directly with OpenSSL
// EVP on the same digests. Rates are events per second (items_per_second).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <array>

#include "bench/synthetic_log.h"
#include "verifier/eventlog/parse.h"
#include "verifier/eventlog/replay.h"

namespace bootgate::bench {
namespace {

const std::vector<uint8_t>& Log() {
  static const std::vector<uint8_t> log = SyntheticLog();
  return log;
}

void BM_ParseAndReplay(benchmark::State& state) {
  const std::vector<uint8_t>& log = Log();
  size_t events = 0;
  for (auto _ : state) {
    auto parsed = eventlog::ParseEventLog(log);
    auto replayed = eventlog::Replay(*parsed);
    if (!parsed.ok() || !replayed.ok()) state.SkipWithError("parse or replay failed");
    benchmark::DoNotOptimize(replayed);
    events = parsed->events.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events));
}
BENCHMARK(BM_ParseAndReplay)->Unit(benchmark::kMillisecond);

void BM_ParseOnly(benchmark::State& state) {
  const std::vector<uint8_t>& log = Log();
  size_t events = 0;
  for (auto _ : state) {
    auto parsed = eventlog::ParseEventLog(log);
    benchmark::DoNotOptimize(parsed);
    events = parsed->events.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events));
}
BENCHMARK(BM_ParseOnly)->Unit(benchmark::kMillisecond);

// The floor: one EVP digest per event per bank over (PCR || digest), nothing else.
void BM_FloorOpenSslExtends(benchmark::State& state) {
  auto parsed = eventlog::ParseEventLog(Log());
  struct Extend {
    uint32_t pcr;
    const EVP_MD* md;
    const uint8_t* digest;
    size_t size;
  };
  std::vector<Extend> extends;
  for (const eventlog::Event& e : parsed->events) {
    if (e.type == 3 /* EV_NO_ACTION */) continue;
    for (const eventlog::EventDigest& d : e.digests) {
      const EVP_MD* md = crypto::EvpMd(*d.alg);
      extends.push_back({e.pcr, md, d.digest.data(), d.digest.size()});
    }
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    std::array<std::array<uint8_t, 64>, 24> pcrs{};
    for (const Extend& x : extends) {
      uint8_t* pcr = pcrs[x.pcr].data();
      unsigned int out_len = 0;
      EVP_DigestInit_ex(ctx, x.md, nullptr);
      EVP_DigestUpdate(ctx, pcr, x.size);
      EVP_DigestUpdate(ctx, x.digest, x.size);
      EVP_DigestFinal_ex(ctx, pcr, &out_len);
    }
    benchmark::DoNotOptimize(pcrs);
  }
  EVP_MD_CTX_free(ctx);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * (parsed->events.size())));
}
BENCHMARK(BM_FloorOpenSslExtends)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bootgate::bench
