#include "cli/attest_command.h"

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bootgate/v1/attestation.grpc.pb.h"
#include "cli/agent_schedule.h"
#include "cli/exit_codes.h"
#include "cli/grpc_client.h"
#include "cli/pcr_defaults.h"
#include "cli/remote_output.h"
#include "cli/stop_signal.h"
#include "cli/tpm_agent.h"
#include "proto/refusal_metadata.h"
#include "verifier/crypto/hash.h"

namespace bootgate::cli {
namespace {

// The server's default limit (ServerConfig.limits.max_event_log_bytes): a larger log would be
// refused anyway, so do not read it.
constexpr size_t kMaxEventLogBytes = 16 * 1024 * 1024;

struct AttestFlags {
  ServerOptions server;
  std::string host_id;
  std::string tcti;
  std::string ak_handle = "0x81010002";
  std::string eventlog = kDefaultEventLog;
  std::string pcrs;  // empty: DefaultPcrSelection of the TPM's allocated banks
  std::string watch;
  std::string tpm_timeout = "60s";
  absl::Duration tpm_deadline = absl::Seconds(60);  // tpm_timeout parsed
  bool json = false;
};

// A TPM that stops answering without closing its connection (hung firmware, a stopped swtpm)
// would hold tpm2-tss's synchronous Esys calls for ever (they retry TRY_AGAIN themselves, and
// the swtpm TCTI has no receive timeout). While a TpmWatchdog lives, the TPM has `limit` to
// finish; past it the agent says so and exits 2, since the blocked call cannot be cancelled.
class TpmWatchdog {
 public:
  TpmWatchdog(absl::Duration limit, std::string what)
      : thread_([this, limit, what = std::move(what)] {
          std::unique_lock lock(mu_);
          if (cv_.wait_for(lock, absl::ToChronoSeconds(limit), [this] { return done_; })) return;
          std::cerr << "bootgate: no answer from the TPM within " << absl::FormatDuration(limit)
                    << " while " << what << " (--tpm-timeout)" << std::endl;
          std::_Exit(kExitBadInput);
        }) {}
  ~TpmWatchdog() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;  // last: started once the members it uses exist
};

// Reads the event log. securityfs reports a size of 0 for binary_bios_measurements, so this
// reads up to the limit instead of trusting stat. nullopt when the file does not exist (a
// host without a log still attests: the server answers "no-event-log").
absl::StatusOr<std::optional<std::string>> ReadEventLog(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::nullopt;
    return absl::InvalidArgumentError(absl::StrCat("event log ", path, ": ", std::strerror(errno)));
  }
  std::string data(kMaxEventLogBytes + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat("event log ", path, ": read error"));
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > kMaxEventLogBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("event log ", path, " is larger than ", kMaxEventLogBytes, " bytes"));
  }
  return data;
}

// Reports a failed call; the exit code says "not eligible" (1) when bootgated refused the host
// itself (its AK revoked: proto/refusal_metadata.h), else "could not evaluate" (2).
int ReportRefusal(absl::string_view what, const grpc::Status& status,
                  const grpc::ClientContext& context, const ServerOptions& server) {
  const int code = ReportRpcError(what, status, server);
  const auto& trailers = context.GetServerTrailingMetadata();
  auto reason = trailers.find(v1::kRefusalMetadataKey);
  if (reason != trailers.end() &&
      absl::string_view(reason->second.data(), reason->second.size()) == v1::kRefusalAkRevoked) {
    return kExitRejected;
  }
  return code;
}

// One attestation, start to finish. Returns the exit code.
int AttestOnce(const AttestFlags& f, const TPML_PCR_SELECTION& selection, uint32_t ak_handle,
               v1::Attestation::Stub& stub, bool compact_json) {
  absl::StatusOr<std::optional<std::string>> log = ReadEventLog(f.eventlog);
  if (!log.ok()) return ReportError(log.status().message());
  if (!log->has_value()) {
    std::cerr << "bootgate attest: warning: no event log at " << f.eventlog
              << ": attesting without one (the verdict will say no-event-log)\n";
  }

  v1::ChallengeRequest challenge_request;
  challenge_request.set_host_id(f.host_id);
  v1::ChallengeResponse challenge;
  {
    grpc::ClientContext context;
    SetDeadline(context, f.server);
    grpc::Status status = stub.Challenge(&context, challenge_request, &challenge);
    if (!status.ok()) return ReportRefusal("Challenge", status, context, f.server);
  }

  // The qualifying-data rule of attestation.proto: SHA-256 of the token string's bytes.
  const std::string& token = challenge.token();
  absl::StatusOr<crypto::Digest> qualifying =
      crypto::Hash(crypto::HashAlg::kSha256,
                   std::span(reinterpret_cast<const uint8_t*>(token.data()), token.size()));
  if (!qualifying.ok()) return ReportError(qualifying.status().message());

  absl::StatusOr<TpmQuote> quote;
  {
    TpmWatchdog watchdog(f.tpm_deadline, "quoting");
    absl::StatusOr<std::unique_ptr<TpmAgent>> tpm = TpmAgent::Open(ResolveTcti(f.tcti));
    if (!tpm.ok()) return ReportError(tpm.status().message());
    quote = (*tpm)->Quote(ak_handle, *qualifying, selection);
  }  // the TPM connection is closed before the network call
  if (!quote.ok()) return ReportError(quote.status().message());

  v1::AttestRequest request;
  request.set_host_id(f.host_id);
  request.set_token(token);
  request.set_quote(std::string(quote->attest.begin(), quote->attest.end()));
  request.set_signature(std::string(quote->signature.begin(), quote->signature.end()));
  if (log->has_value()) request.set_event_log(std::move(**log));
  v1::Verdict verdict;
  {
    grpc::ClientContext context;
    SetDeadline(context, f.server);
    grpc::Status status = stub.Attest(&context, request, &verdict);
    if (!status.ok()) return ReportRefusal("Attest", status, context, f.server);
  }
  std::cout << (f.json ? ProtoJson(verdict, compact_json) : VerdictText(verdict)) << std::flush;
  return verdict.placement_eligible() ? kExitOk : kExitRejected;
}

// --pcrs, or by default the boot chain's PCRs (0-9, 14) in every bank the TPM has allocated:
// what `bootgate baseline learn` requires, and every PCR a real boot chain extends.
absl::StatusOr<TPML_PCR_SELECTION> Selection(const AttestFlags& f) {
  if (!f.pcrs.empty()) return ParsePcrSelection(f.pcrs);
  TpmWatchdog watchdog(f.tpm_deadline, "reading its PCR banks");
  absl::StatusOr<std::unique_ptr<TpmAgent>> tpm = TpmAgent::Open(ResolveTcti(f.tcti));
  if (!tpm.ok()) return tpm.status();
  absl::StatusOr<TPML_PCR_SELECTION> allocated = (*tpm)->AllocatedPcrs();
  if (!allocated.ok()) return allocated.status();
  return DefaultPcrSelection(*allocated);
}

int RunAttest(AttestFlags& f) {
  if (!absl::ParseDuration(f.tpm_timeout, &f.tpm_deadline) || f.tpm_deadline < absl::Seconds(1)) {
    return ReportError(absl::StrCat("--tpm-timeout \"", f.tpm_timeout,
                                    "\": expected a duration of at least 1s (30s, 2m)"));
  }
  absl::StatusOr<TPML_PCR_SELECTION> selection = Selection(f);
  if (!selection.ok()) return ReportError(selection.status().message());
  absl::StatusOr<uint32_t> ak_handle = ParsePersistentHandle(f.ak_handle);
  if (!ak_handle.ok()) return ReportError(ak_handle.status().message());
  std::optional<absl::Duration> interval;
  if (!f.watch.empty()) {
    absl::Duration d;
    if (!absl::ParseDuration(f.watch, &d) || d < absl::Seconds(1)) {
      return ReportError(absl::StrCat("--watch \"", f.watch,
                                      "\": expected a duration of at least 1s (30s, 5m, 1h)"));
    }
    interval = d;
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(f.server);
  if (!channel.ok()) return ReportError(channel.status().message());
  std::unique_ptr<v1::Attestation::Stub> stub = v1::Attestation::NewStub(*channel);
  if (!interval) return AttestOnce(f, *selection, *ak_handle, *stub, /*compact_json=*/false);

  // The agent: attests until SIGINT/SIGTERM, failures reported and retried (agent_schedule.h).
  CatchStopSignals();
  std::mt19937_64 random(std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int code = kExitBadInput;
  int consecutive_failures = 0;
  while (!StopRequested()) {
    code = AttestOnce(f, *selection, *ak_handle, *stub, /*compact_json=*/true);
    consecutive_failures = code == kExitBadInput ? consecutive_failures + 1 : 0;
    const absl::Duration delay = NextAttestDelay(*interval, consecutive_failures, unit(random));
    if (consecutive_failures > 0) {
      std::cerr << "bootgate attest: attempt failed (" << consecutive_failures
                << " in a row); next in "
                << absl::FormatDuration(absl::Trunc(delay, absl::Milliseconds(100))) << "\n";
    }
    if (!f.json) std::cout << "\n" << std::flush;
    const absl::Time next = absl::Now() + delay;
    while (!StopRequested() && absl::Now() < next) absl::SleepFor(absl::Milliseconds(100));
  }
  return code;
}

}  // namespace

void AddAttestCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<AttestFlags>();
  CLI::App* cmd = app.add_subcommand(
      "attest",
      "quote this host's TPM and send it with the event log to bootgated; print the verdict "
      "(exit 0 eligible, 1 not eligible, 2 error)");
  AddServerOptions(*cmd, flags->server);
  cmd->add_option("--host", flags->host_id, "the host id this machine is registered as")
      ->required();
  cmd->add_option("--tcti", flags->tcti,
                  "TPM: device:/dev/tpmrm0, swtpm:host=127.0.0.1,port=N, tabrmd "
                  "(default: $BOOTGATE_TCTI, $TPM2TOOLS_TCTI, else device:/dev/tpmrm0)");
  cmd->add_option("--ak-handle", flags->ak_handle, "persistent handle of the AK")
      ->capture_default_str();
  cmd->add_option("--eventlog", flags->eventlog, "TCG event log to send")->capture_default_str();
  cmd->add_option("--pcrs", flags->pcrs,
                  absl::StrCat("PCRs to quote, tpm2-tools syntax (e.g. sha256:0-9,14); default: ",
                               kBootChainPcrsText,
                               " in every bank the TPM has allocated, the PCRs a boot chain "
                               "extends and that `bootgate baseline learn` requires"));
  cmd->add_option(
      "--watch", flags->watch,
      "run as an agent: re-attest every INTERVAL (30s, 10m; +-10% jitter) until SIGINT/SIGTERM; "
      "failures are reported and retried after 1s, 2s, 4s... up to INTERVAL");
  cmd->add_option("--tpm-timeout", flags->tpm_timeout,
                  "give up (exit 2) when the TPM has not answered a command within this long")
      ->capture_default_str();
  cmd->add_flag("--json", flags->json,
                "print the verdict as JSON (one line per attestation with --watch)");
  cmd->callback([flags, &exit_code] { exit_code = RunAttest(*flags); });
}

}  // namespace bootgate::cli
