// bootgate_load: a bounded load generator for bootgated on loopback (issue 6, acceptance 5).
//
//   bootgate_load --server 127.0.0.1:PORT [--agents N] [--requests M] [--duration-max S]
//                 [--rate R|max] [--ak ecc|rsa] [--register] [--json FILE]
//
// N agents (threads, each with its own gRPC channel) loop Challenge -> sign -> Attest. Each
// agent is a host "<prefix><i>" with one software AK (bench/good_host_evidence.h): after
// Challenge it signs a quote of the good-host evidence whose extraData is SHA-256(token), in
// process, so no TPM sits on the hot path. The run stops by itself after M rounds or S seconds,
// whichever comes first. At --rate R the rounds start on a fixed schedule (round k at t0 + k/R,
// whoever is free takes it); at max every agent starts its next round as soon as it can.
// Reports attestations/s, p50/p99/max of Attest and of the whole round, and errors by gRPC
// status code. Exit 0 when every verdict was affirming (the good host), 1 otherwise or with no
// verdict at all, 2 for bad arguments. Only loopback servers are accepted: anything else exits 2
// before any traffic.
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "bench/good_host_evidence.h"
#include "bench/load_support.h"
#include "bootgate/v1/attestation.grpc.pb.h"
#include "bootgate/v1/hosts.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "server/mutex_mode.h"
#include "server/token.h"

namespace bootgate::bench {
namespace {

namespace v1 = bootgate::v1;
using Clock = std::chrono::steady_clock;

constexpr auto kCallTimeout = std::chrono::seconds(10);

std::string CodeName(int code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Options {
  std::string server;
  int agents = 16;
  int64_t requests = 2000;
  double duration_max = 30;
  std::string rate = "max";
  std::string ak = "ecc";
  std::string bundle = std::string(BOOTGATE_SOURCE_DIR) + "/tests/data/appraisal/good-host";
  std::string host_prefix = "load-agent-";
  bool register_hosts = false;
  int warmup = 2;
  std::string json;
};

// What one agent saw; merged after the run.
struct AgentResult {
  std::vector<double> attest_ms;  // Attest calls that returned a verdict
  std::vector<double> round_ms;   // Challenge + sign + Attest, for rounds that got a verdict
  std::vector<double> sign_ms;    // the in-process quote signing alone
  std::map<std::string, int64_t> errors;  // "Challenge NOT_FOUND" -> count
  std::map<std::string, int64_t> tiers;   // verdict tier -> count
  Clock::time_point last_done{};
};

class Agent {
 public:
  Agent(const Options& options, const GoodHostEvidence& evidence, int index)
      : evidence_(evidence), host_(options.host_prefix + std::to_string(index)) {
    grpc::ChannelArguments args;
    args.SetInt("bootgate.load.agent", index);  // a distinct channel (and connection) per agent
    args.SetMaxSendMessageSize(16 * 1024 * 1024);
    channel_ = grpc::CreateCustomChannel(options.server, grpc::InsecureChannelCredentials(), args);
    stub_ = v1::Attestation::NewStub(channel_);
  }

  bool Connect() {
    return channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }

  // One Challenge -> sign -> Attest round. Records into `out` when `record`.
  void Round(AgentResult& out, bool record) {
    const Clock::time_point start = Clock::now();
    grpc::ClientContext challenge_ctx;
    challenge_ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    v1::ChallengeRequest challenge;
    challenge.set_host_id(host_);
    v1::ChallengeResponse issued;
    grpc::Status s = stub_->Challenge(&challenge_ctx, challenge, &issued);
    if (!s.ok()) {
      if (record) ++out.errors[std::string("Challenge ") + CodeName(s.error_code())];
      return;
    }
    auto nonce = server::QualifyingData(issued.token());
    if (!nonce.ok()) {
      if (record) ++out.errors["Challenge bad-token"];
      return;
    }
    const Clock::time_point sign_start = Clock::now();
    clock_ms_ += 7;
    const SignedQuote quote = evidence_.Sign(*nonce, clock_ms_);
    const Clock::time_point attest_start = Clock::now();

    v1::AttestRequest request;
    request.set_host_id(host_);
    request.set_token(issued.token());
    request.set_quote(std::string(quote.message.begin(), quote.message.end()));
    request.set_signature(std::string(quote.signature.begin(), quote.signature.end()));
    request.set_event_log(std::string(evidence_.event_log().begin(), evidence_.event_log().end()));
    grpc::ClientContext attest_ctx;
    attest_ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    v1::Verdict verdict;
    s = stub_->Attest(&attest_ctx, request, &verdict);
    const Clock::time_point done = Clock::now();
    if (!record) return;
    if (!s.ok()) {
      ++out.errors[std::string("Attest ") + CodeName(s.error_code())];
      return;
    }
    auto ms = [](Clock::duration d) {
      return std::chrono::duration<double, std::milli>(d).count();
    };
    out.attest_ms.push_back(ms(done - attest_start));
    out.round_ms.push_back(ms(done - start));
    out.sign_ms.push_back(ms(attest_start - sign_start));
    ++out.tiers[v1::Tier_Name(verdict.tier())];
    out.last_done = done;
  }

  const std::string& host() const { return host_; }

 private:
  const GoodHostEvidence& evidence_;
  const std::string host_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Attestation::Stub> stub_;
  uint64_t clock_ms_ = 1000;
};

bool RegisterHosts(const Options& options, const std::vector<GoodHostEvidence>& evidence) {
  auto channel = grpc::CreateChannel(options.server, grpc::InsecureChannelCredentials());
  auto hosts = v1::Hosts::NewStub(channel);
  for (int i = 0; i < options.agents; ++i) {
    const std::string pem = evidence[i].AkPem();
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    v1::RegisterHostRequest r;
    r.set_host_id(options.host_prefix + std::to_string(i));
    r.set_ak_public(pem);
    v1::Host out;
    grpc::Status s = hosts->Register(&ctx, r, &out);
    if (!s.ok()) {
      std::fprintf(stderr, "bootgate_load: Hosts.Register(%s): %s: %s\n", r.host_id().c_str(),
                   CodeName(s.error_code()).c_str(), s.error_message().c_str());
      return false;
    }
  }
  return true;
}

int Run(const Options& options) {
  if (!IsLoopbackTarget(options.server)) {
    std::fprintf(stderr,
                 "bootgate_load: refusing %s: only loopback servers (127.0.0.0/8, [::1], "
                 "localhost) with a port\n",
                 options.server.c_str());
    return 2;
  }
  double rate = 0;  // 0: max
  if (options.rate != "max") {
    try {
      rate = std::stod(options.rate);
    } catch (...) {
      rate = -1;
    }
    if (!(rate > 0)) {
      std::fprintf(stderr, "bootgate_load: --rate takes a positive number or \"max\"\n");
      return 2;
    }
  }
  auto kind = ParseAkKind(options.ak);
  if (!kind.ok()) {
    std::fprintf(stderr, "bootgate_load: %s\n", std::string(kind.status().message()).c_str());
    return 2;
  }
  // One AK per agent, as one TPM per host: bootgated keeps each AK's highest TPM clock (the
  // rollback check), so agents sharing one AK would race each other's clocks.
  std::vector<GoodHostEvidence> evidence;
  for (int i = 0; i < options.agents; ++i) {
    auto loaded = GoodHostEvidence::Load(options.bundle, *kind);
    if (!loaded.ok()) {
      std::fprintf(stderr, "bootgate_load: %s\n", std::string(loaded.status().message()).c_str());
      return 2;
    }
    evidence.push_back(*std::move(loaded));
  }
  if (options.register_hosts && !RegisterHosts(options, evidence)) return 1;

  std::vector<std::unique_ptr<Agent>> agents;
  for (int i = 0; i < options.agents; ++i) {
    agents.push_back(std::make_unique<Agent>(options, evidence[i], i));
  }
  std::vector<AgentResult> results(agents.size());
  std::atomic<int64_t> next_round{0};
  std::atomic<bool> connect_failed{false};
  Clock::time_point t0;
  double cpu0 = 0;
  // Everyone connects and warms up, then the clock starts for all at once.
  std::barrier ready(options.agents, [&]() noexcept {
    t0 = Clock::now();
    cpu0 = CpuSeconds();
  });
  const auto deadline_after = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.duration_max));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < agents.size(); ++i) {
    threads.emplace_back([&, i] {
      Agent& agent = *agents[i];
      if (!agent.Connect()) connect_failed = true;
      for (int w = 0; w < options.warmup && !connect_failed; ++w) agent.Round(results[i], false);
      ready.arrive_and_wait();
      if (connect_failed) return;
      const Clock::time_point deadline = t0 + deadline_after;
      for (;;) {
        const int64_t k = next_round.fetch_add(1);
        if (k >= options.requests) break;
        if (rate > 0) {
          const auto at = t0 + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(k) / rate));
          if (at >= deadline) break;
          std::this_thread::sleep_until(at);
        }
        if (Clock::now() >= deadline) break;
        agent.Round(results[i], true);
      }
    });
  }
  for (auto& t : threads) t.join();
  if (connect_failed) {
    std::fprintf(stderr, "bootgate_load: cannot connect to %s within 5 s\n",
                 options.server.c_str());
    return 1;
  }
  const double cpu = CpuSeconds() - cpu0;

  AgentResult all;
  for (AgentResult& r : results) {
    all.attest_ms.insert(all.attest_ms.end(), r.attest_ms.begin(), r.attest_ms.end());
    all.round_ms.insert(all.round_ms.end(), r.round_ms.begin(), r.round_ms.end());
    all.sign_ms.insert(all.sign_ms.end(), r.sign_ms.begin(), r.sign_ms.end());
    for (const auto& [k, n] : r.errors) all.errors[k] += n;
    for (const auto& [k, n] : r.tiers) all.tiers[k] += n;
    all.last_done = std::max(all.last_done, r.last_done);
  }
  const double elapsed =
      all.attest_ms.empty() ? 0 : std::chrono::duration<double>(all.last_done - t0).count();
  const double per_second = elapsed > 0 ? static_cast<double>(all.attest_ms.size()) / elapsed : 0;
  int64_t error_count = 0;
  for (const auto& [k, n] : all.errors) error_count += n;

  nlohmann::json report = {
      {"server", options.server},
      {"agents", options.agents},
      {"requests", options.requests},
      {"rate", rate > 0 ? nlohmann::json(rate) : nlohmann::json("max")},
      {"ak", AkKindName(*kind)},
      {"elapsed_s", elapsed},
      {"verdicts", all.attest_ms.size()},
      {"attestations_per_s", per_second},
      {"attest", Summary(all.attest_ms)},
      {"round", Summary(all.round_ms)},
      {"sign", Summary(all.sign_ms)},
      {"tiers", all.tiers},
      {"errors", all.errors},
      {"error_count", error_count},
      {"client_cpu_s", cpu},
  };
  const nlohmann::json a = report["attest"], r = report["round"];
  std::printf(
      "bootgate_load: %zu verdicts in %.2f s = %.1f attestations/s (%d agents, rate %s, "
      "AK %s); %lld errors\n",
      all.attest_ms.size(), elapsed, per_second, options.agents, options.rate.c_str(),
      AkKindName(*kind), static_cast<long long>(error_count));
  std::printf("  Attest         p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", a["p50_ms"].get<double>(),
              a["p99_ms"].get<double>(), a["max_ms"].get<double>());
  std::printf("  Challenge+sign+Attest  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
              r["p50_ms"].get<double>(), r["p99_ms"].get<double>(), r["max_ms"].get<double>());
  std::printf("  generator CPU %.2f s (%.0f%% of one core)\n", cpu,
              elapsed > 0 ? 100 * cpu / elapsed : 0.0);
  for (const auto& [tier, n] : all.tiers)
    std::printf("  verdict %s: %lld\n", tier.c_str(), static_cast<long long>(n));
  for (const auto& [what, n] : all.errors)
    std::printf("  error %s: %lld\n", what.c_str(), static_cast<long long>(n));
  if (!options.json.empty()) {
    std::ofstream out(options.json);
    out << report.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "bootgate_load: cannot write %s\n", options.json.c_str());
      return 2;
    }
  }
  // The good host must be affirming: anything else means the run measured a failure path
  // (an AK that is not the registered one, a policy without the agents' hosts).
  const int64_t affirming = all.tiers.contains("TIER_AFFIRMING") ? all.tiers["TIER_AFFIRMING"] : 0;
  if (affirming != static_cast<int64_t>(all.attest_ms.size())) {
    std::fprintf(stderr,
                 "bootgate_load: %lld of %zu verdicts are not affirming: the figures "
                 "are not those of the good host (is every agent's host registered with this "
                 "run's AK and listed in the policy?)\n",
                 static_cast<long long>(all.attest_ms.size() - affirming), all.attest_ms.size());
    return 1;
  }
  return all.attest_ms.empty() ? 1 : 0;
}

}  // namespace
}  // namespace bootgate::bench

int main(int argc, char** argv) {
  bootgate::server::UseReleaseMutexMode();
  bootgate::bench::Options o;
  CLI::App app{"bounded load generator for bootgated (loopback only)"};
  app.add_option("--server", o.server, "bootgated gRPC address, loopback only")->required();
  app.add_option("--agents", o.agents, "concurrent agents (threads, one channel each)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--requests", o.requests, "rounds in total, at most")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  app.add_option("--duration-max", o.duration_max, "seconds, at most")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--rate", o.rate, "rounds per second in total, or \"max\"");
  app.add_option("--ak", o.ak, "software AK: ecc (P-256, default) or rsa (2048)");
  app.add_option("--bundle", o.bundle, "evidence bundle directory (good host)");
  app.add_option("--host-prefix", o.host_prefix, "agent i attests as PREFIX<i>");
  app.add_flag("--register", o.register_hosts, "register every agent's host and AK first");
  app.add_option("--warmup", o.warmup, "uncounted rounds per agent before the clock starts")
      ->check(CLI::Range(0, 1000));
  app.add_option("--json", o.json, "also write the figures as JSON to FILE");
  CLI11_PARSE(app, argc, argv);
  return bootgate::bench::Run(o);
}
