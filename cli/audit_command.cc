#include "cli/audit_command.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bootgate/v1/audit.grpc.pb.h"
#include "cli/exit_codes.h"
#include "cli/grpc_client.h"
#include "cli/history_command.h"
#include "cli/remote_output.h"

namespace bootgate::cli {
namespace {

// Audit.List's largest page.
constexpr uint32_t kMaxPageSize = 1000;

struct AuditFlags {
  ServerOptions server;
  std::string host_id;
  std::string actor;
  std::string action;
  std::string outcome;
  std::string since;
  uint32_t limit = 100;
  bool json = false;
};

int RunAudit(const AuditFlags& f) {
  v1::ListAuditRequest request;
  request.set_host_id(f.host_id);
  request.set_actor(f.actor);
  request.set_action(f.action);
  request.set_outcome(f.outcome);
  if (!f.since.empty()) {
    absl::StatusOr<absl::Time> since = ParseTimeArg(f.since, absl::Now());
    if (!since.ok()) return ReportError(absl::StrCat("--since: ", since.status().message()));
    SetTimestamp(*since, request.mutable_since());
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(f.server);
  if (!channel.ok()) return ReportError(channel.status().message());
  std::unique_ptr<v1::Audit::Stub> stub = v1::Audit::NewStub(*channel);

  v1::ListAuditResponse all;
  while (static_cast<uint32_t>(all.records_size()) < f.limit) {
    request.set_page_size(
        std::min<uint32_t>(f.limit - static_cast<uint32_t>(all.records_size()), kMaxPageSize));
    v1::ListAuditResponse page;
    grpc::ClientContext context;
    SetDeadline(context, f.server);
    grpc::Status status = stub->List(&context, request, &page);
    if (!status.ok()) return ReportRpcError("Audit.List", status, f.server);
    for (v1::AuditRecord& record : *page.mutable_records()) {
      if (static_cast<uint32_t>(all.records_size()) == f.limit) break;
      *all.add_records() = std::move(record);
    }
    all.set_next_page_token(page.next_page_token());
    // A page that adds nothing would repeat forever: stop on it as on the last page.
    if (page.next_page_token().empty() || page.records().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  if (f.json) {
    std::cout << ProtoJson(all);
  } else {
    std::cout << AuditTable(all.records());
    if (!all.next_page_token().empty()) {
      std::cout << "(more records: raise --limit)\n";
    }
  }
  return kExitOk;
}

}  // namespace

void AddAuditCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<AuditFlags>();
  CLI::App* cmd = app.add_subcommand(
      "audit",
      "the audit log, newest first: policy changes, exceptions, registrations, enrollments, "
      "revocations, re-enrollment grants and every refused call, with who, when and why "
      "(operator, admin)");
  cmd->add_option("--host", f->host_id, "only records about this host");
  cmd->add_option("--actor", f->actor, "only this caller (client certificate CN; \"local\")");
  cmd->add_option("--action", f->action,
                  "only this action (policy.put, host.revoke, Enrollment.Start, ...)");
  cmd->add_option("--outcome", f->outcome, "only this outcome")
      ->check(CLI::IsMember({"ok", "denied", "refused"}));
  cmd->add_option("--since", f->since,
                  "at or after (RFC 3339, a date, or a duration back from now: 24h, 7d, 90m ago)");
  cmd->add_option("--limit", f->limit, "at most N records (follows the server's pages)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--json", f->json, "print JSON (a ListAuditResponse with every record)");
  AddServerOptions(*cmd, f->server);
  cmd->callback([f, &exit_code] { exit_code = RunAudit(*f); });
}

}  // namespace bootgate::cli
