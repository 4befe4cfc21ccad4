#include "cli/host_command.h"

#include <functional>
#include <iostream>

#include "bootgate/v1/hosts.grpc.pb.h"
#include "cli/exit_codes.h"
#include "cli/file_input.h"
#include "cli/grpc_client.h"
#include "cli/remote_output.h"

namespace bootgate::cli {
namespace {

// An AK public key is a few hundred bytes; anything near this is not one.
constexpr uint64_t kMaxAkFileBytes = 64 * 1024;

struct HostFlags {
  ServerOptions server;
  std::string host_id;
  std::string group;
  std::string ak_path;
  std::string reason;
  bool json = false;
};

// Runs `call` on a Hosts stub with the call's deadline; prints the answer (`render` or JSON).
template <typename Response>
int CallHosts(
    const HostFlags& f, absl::string_view what,
    const std::function<grpc::Status(v1::Hosts::Stub&, grpc::ClientContext&, Response&)>& call,
    const std::function<std::string(const Response&)>& render) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(f.server);
  if (!channel.ok()) return ReportError(channel.status().message());
  std::unique_ptr<v1::Hosts::Stub> stub = v1::Hosts::NewStub(*channel);
  Response response;
  grpc::ClientContext context;
  SetDeadline(context, f.server);
  grpc::Status status = call(*stub, context, response);
  if (!status.ok()) return ReportRpcError(what, status, f.server);
  std::cout << (f.json ? ProtoJson(response) : render(response));
  return kExitOk;
}

int RunAdd(const HostFlags& f) {
  absl::StatusOr<std::vector<uint8_t>> ak = ReadFileLimited(f.ak_path, kMaxAkFileBytes);
  if (!ak.ok()) return ReportError(ak.status().message());
  v1::RegisterHostRequest request;
  request.set_host_id(f.host_id);
  request.set_group(f.group);
  request.set_ak_public(std::string(ak->begin(), ak->end()));
  request.set_reason(f.reason);
  return CallHosts<v1::Host>(
      f, "Hosts.Register",
      [&](v1::Hosts::Stub& stub, grpc::ClientContext& context, v1::Host& host) {
        return stub.Register(&context, request, &host);
      },
      HostText);
}

int RunShow(const HostFlags& f) {
  v1::GetHostRequest request;
  request.set_host_id(f.host_id);
  return CallHosts<v1::Host>(
      f, "Hosts.Get",
      [&](v1::Hosts::Stub& stub, grpc::ClientContext& context, v1::Host& host) {
        return stub.Get(&context, request, &host);
      },
      HostText);
}

int RunList(const HostFlags& f) {
  return CallHosts<v1::ListHostsResponse>(
      f, "Hosts.List",
      [](v1::Hosts::Stub& stub, grpc::ClientContext& context, v1::ListHostsResponse& list) {
        return stub.List(&context, v1::ListHostsRequest(), &list);
      },
      HostListTable);
}

int RunRevoke(const HostFlags& f) {
  v1::HostActionRequest request;
  request.set_host_id(f.host_id);
  request.set_reason(f.reason);
  return CallHosts<v1::Host>(
      f, "Hosts.Revoke",
      [&](v1::Hosts::Stub& stub, grpc::ClientContext& context, v1::Host& host) {
        return stub.Revoke(&context, request, &host);
      },
      HostText);
}

int RunReenroll(const HostFlags& f) {
  v1::HostActionRequest request;
  request.set_host_id(f.host_id);
  request.set_reason(f.reason);
  return CallHosts<v1::Host>(
      f, "Hosts.AllowReenroll",
      [&](v1::Hosts::Stub& stub, grpc::ClientContext& context, v1::Host& host) {
        return stub.AllowReenroll(&context, request, &host);
      },
      HostText);
}

int RunAckRollback(const HostFlags& f) {
  v1::HostActionRequest request;
  request.set_host_id(f.host_id);
  request.set_reason(f.reason);
  return CallHosts<v1::Host>(
      f, "Hosts.AcknowledgeRollback",
      [&](v1::Hosts::Stub& stub, grpc::ClientContext& context, v1::Host& host) {
        return stub.AcknowledgeRollback(&context, request, &host);
      },
      HostText);
}

// A subcommand of `group` with --json and the server options; `run` gets its flags.
CLI::App* AddHostSubcommand(CLI::App& group, const std::string& name,
                            const std::string& description, int (*run)(const HostFlags&),
                            const std::shared_ptr<HostFlags>& flags, int& exit_code) {
  CLI::App* cmd = group.add_subcommand(name, description);
  cmd->add_flag("--json", flags->json, "print JSON");
  AddServerOptions(*cmd, flags->server);
  cmd->callback([flags, run, &exit_code] { exit_code = run(*flags); });
  return cmd;
}

}  // namespace

void AddHostCommand(CLI::App& app, int& exit_code) {
  CLI::App* group = app.add_subcommand(
      "host",
      "the host registry on bootgated and the AK lifecycle (normal path: `bootgate enroll` on "
      "the host; `host add` is the lab path)");
  group->require_subcommand(1);

  auto add = std::make_shared<HostFlags>();
  CLI::App* add_cmd = AddHostSubcommand(
      *group, "add",
      "register a host and its AK by hand, or replace them (admin; the lab path: the audit log "
      "marks the AK as admin-registered)",
      RunAdd, add, exit_code);
  add_cmd->add_option("HOST", add->host_id, "host id")->required();
  add_cmd
      ->add_option("--ak", add->ak_path,
                   "AK public key: PEM (tpm2_readpublic -f pem) or TPM2B_PUBLIC")
      ->required();
  add_cmd->add_option("--group", add->group, "group (informational; the policy decides)");
  add_cmd->add_option("--reason", add->reason, "why (stored in the audit log)");

  auto show = std::make_shared<HostFlags>();
  CLI::App* show_cmd = AddHostSubcommand(
      *group, "show",
      "show a registered host: group, trust path, status, AK and EK fingerprints, last change",
      RunShow, show, exit_code);
  show_cmd->add_option("HOST", show->host_id, "host id")->required();

  auto list = std::make_shared<HostFlags>();
  AddHostSubcommand(*group, "list",
                    "every registered host: trust path, status, EK and AK fingerprint prefixes "
                    "(operator, admin)",
                    RunList, list, exit_code);

  auto revoke = std::make_shared<HostFlags>();
  CLI::App* revoke_cmd = AddHostSubcommand(
      *group, "revoke",
      "revoke HOST's AK: its attestations are refused and it turns ineligible at once (admin); "
      "`host reenroll` then lets it enroll a new AK",
      RunRevoke, revoke, exit_code);
  revoke_cmd->add_option("HOST", revoke->host_id, "host id")->required();
  revoke_cmd->add_option("--reason", revoke->reason, "why (stored in the audit log)")->required();

  auto reenroll = std::make_shared<HostFlags>();
  CLI::App* reenroll_cmd = AddHostSubcommand(
      *group, "reenroll",
      "allow HOST's next enrollment to bind another TPM or a new AK (a replaced board, a "
      "migrated vTPM, after revocation) (admin)",
      RunReenroll, reenroll, exit_code);
  reenroll_cmd->add_option("HOST", reenroll->host_id, "host id")->required();
  reenroll_cmd->add_option("--reason", reenroll->reason, "why (stored in the audit log)")
      ->required();

  auto ack = std::make_shared<HostFlags>();
  CLI::App* ack_cmd = AddHostSubcommand(
      *group, "ack-rollback",
      "acknowledge the TPM rollback caught on HOST, after looking into it: its attestations are "
      "judged on their own again and the next quote is the new rollback baseline (admin)",
      RunAckRollback, ack, exit_code);
  ack_cmd->add_option("HOST", ack->host_id, "host id")->required();
  ack_cmd->add_option("--reason", ack->reason, "why (stored in the audit log)")->required();
}

}  // namespace bootgate::cli
