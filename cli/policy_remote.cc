#include "cli/policy_remote.h"

#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bootgate/v1/policy_service.grpc.pb.h"
#include "cli/exit_codes.h"
#include "cli/file_input.h"
#include "cli/grpc_client.h"
#include "cli/history_command.h"
#include "cli/remote_output.h"

namespace bootgate::cli {
namespace {

struct PolicyRemoteFlags {
  ServerOptions server;
  std::string path;
  std::string expected_version;
  std::string at;
  std::string reason;
  bool json = false;
};

// The file as the server's loader takes it; the server parses and validates, so push and
// `policy check` accept exactly the same files.
absl::StatusOr<v1::PolicySource> ReadSource(const std::string& path) {
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadFileLimited(path);
  if (!bytes.ok()) return bytes.status();
  std::string text(bytes->begin(), bytes->end());
  v1::PolicySource source;
  if (absl::EndsWith(path, ".json")) {
    source.set_json(std::move(text));
  } else {
    source.set_textproto(std::move(text));
  }
  return source;
}

absl::StatusOr<std::unique_ptr<v1::PolicyService::Stub>> Stub(const ServerOptions& server) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(server);
  if (!channel.ok()) return channel.status();
  return v1::PolicyService::NewStub(*channel);
}

int RunPush(const PolicyRemoteFlags& f) {
  v1::PutPolicyRequest request;
  absl::StatusOr<v1::PolicySource> source = ReadSource(f.path);
  if (!source.ok()) return ReportError(source.status().message());
  *request.mutable_candidate() = std::move(*source);
  request.set_expected_active_version(f.expected_version);
  request.set_reason(f.reason);
  absl::StatusOr<std::unique_ptr<v1::PolicyService::Stub>> stub = Stub(f.server);
  if (!stub.ok()) return ReportError(stub.status().message());
  v1::StoredPolicy stored;
  grpc::ClientContext context;
  SetDeadline(context, f.server);
  grpc::Status status = (*stub)->Put(&context, request, &stored);
  if (!status.ok()) return ReportRpcError("PolicyService.Put", status, f.server);
  if (f.json) {
    std::cout << ProtoJson(stored);
  } else {
    std::cout << "policy " << stored.policy().name() << " version " << stored.policy().version()
              << " stored at " << FormatTime(stored.stored_at())
              << (stored.active() ? ", active\n" : "\n");
    if (stored.has_reappraisal()) {
      const v1::Reappraisal& r = stored.reappraisal();
      std::cout << "re-appraised " << r.hosts_evaluated()
                << " host(s) under it: " << r.hosts_changed() << " verdict(s) changed, "
                << r.eligibility_changed() << " eligibility change(s)"
                << (r.complete() ? "\n"
                                 : "; INCOMPLETE (stopped at its time bound or a store error: "
                                   "the other hosts keep their verdicts until they attest)\n");
    }
  }
  return kExitOk;
}

int RunDryRun(const PolicyRemoteFlags& f) {
  v1::DryRunRequest request;
  absl::StatusOr<v1::PolicySource> source = ReadSource(f.path);
  if (!source.ok()) return ReportError(source.status().message());
  *request.mutable_candidate() = std::move(*source);
  if (!f.at.empty()) {
    absl::StatusOr<absl::Time> at = ParseTimeArg(f.at, absl::Now());
    if (!at.ok()) return ReportError(absl::StrCat("--at: ", at.status().message()));
    SetTimestamp(*at, request.mutable_at());
  }
  absl::StatusOr<std::unique_ptr<v1::PolicyService::Stub>> stub = Stub(f.server);
  if (!stub.ok()) return ReportError(stub.status().message());
  v1::DryRunResponse response;
  grpc::ClientContext context;
  SetDeadline(context, f.server);
  grpc::Status status = (*stub)->DryRun(&context, request, &response);
  if (!status.ok()) return ReportRpcError("PolicyService.DryRun", status, f.server);
  std::cout << (f.json ? ProtoJson(response) : DryRunText(response));
  return kExitOk;
}

}  // namespace

void AddPolicyRemoteCommands(CLI::App& policy_group, int& exit_code) {
  auto push_flags = std::make_shared<PolicyRemoteFlags>();
  CLI::App* push =
      policy_group.add_subcommand("push",
                                  "Store a policy on bootgated and make it active (the server "
                                  "validates it). Exit 0 stored, 2 refused.");
  push->add_option("FILE", push_flags->path, "policy, protobuf JSON (*.json) or textproto")
      ->required();
  push->add_option("--expected-version", push_flags->expected_version,
                   "refuse (ABORTED) unless this is the active version");
  push->add_option("--reason", push_flags->reason,
                   "why this version (stored in the audit log with the exceptions it adds and "
                   "drops)");
  push->add_flag("--json", push_flags->json, "print the stored policy as JSON");
  AddServerOptions(*push, push_flags->server);
  push->callback([push_flags, &exit_code] { exit_code = RunPush(*push_flags); });

  auto dry_flags = std::make_shared<PolicyRemoteFlags>();
  CLI::App* dry =
      policy_group.add_subcommand("dry-run",
                                  "Which hosts' verdicts a candidate policy would change, on their "
                                  "latest evidence; nothing is stored.");
  dry->add_option("FILE", dry_flags->path, "candidate policy, protobuf JSON (*.json) or textproto")
      ->required();
  dry->add_option("--at", dry_flags->at, "evaluate as of this time (exception expiry)");
  dry->add_flag("--json", dry_flags->json, "print JSON");
  AddServerOptions(*dry, dry_flags->server);
  dry->callback([dry_flags, &exit_code] { exit_code = RunDryRun(*dry_flags); });
}

}  // namespace bootgate::cli
