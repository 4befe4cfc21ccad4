#include "cli/host_command.h"

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
  bool json = false;
};

int PrintHost(const v1::Host& host, bool json) {
  std::cout << (json ? ProtoJson(host) : HostText(host));
  return kExitOk;
}

int RunAdd(const HostFlags& f) {
  absl::StatusOr<std::vector<uint8_t>> ak = ReadFileLimited(f.ak_path, kMaxAkFileBytes);
  if (!ak.ok()) return ReportError(ak.status().message());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(f.server);
  if (!channel.ok()) return ReportError(channel.status().message());
  v1::RegisterHostRequest request;
  request.set_host_id(f.host_id);
  request.set_group(f.group);
  request.set_ak_public(std::string(ak->begin(), ak->end()));
  v1::Host host;
  grpc::ClientContext context;
  SetDeadline(context, f.server);
  grpc::Status status = v1::Hosts::NewStub(*channel)->Register(&context, request, &host);
  if (!status.ok()) return ReportRpcError("Hosts.Register", status, f.server);
  return PrintHost(host, f.json);
}

int RunShow(const HostFlags& f) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(f.server);
  if (!channel.ok()) return ReportError(channel.status().message());
  v1::GetHostRequest request;
  request.set_host_id(f.host_id);
  v1::Host host;
  grpc::ClientContext context;
  SetDeadline(context, f.server);
  grpc::Status status = v1::Hosts::NewStub(*channel)->Get(&context, request, &host);
  if (!status.ok()) return ReportRpcError("Hosts.Get", status, f.server);
  return PrintHost(host, f.json);
}

}  // namespace

void AddHostCommand(CLI::App& app, int& exit_code) {
  CLI::App* group = app.add_subcommand("host", "the host registry on bootgated");
  group->require_subcommand(1);

  auto add_flags = std::make_shared<HostFlags>();
  CLI::App* add = group->add_subcommand("add", "register a host and its AK (or replace them)");
  add->add_option("HOST", add_flags->host_id, "host id")->required();
  add->add_option("--ak", add_flags->ak_path,
                  "AK public key: PEM (tpm2_readpublic -f pem) or TPM2B_PUBLIC")
      ->required();
  add->add_option("--group", add_flags->group, "group (informational; the policy decides)");
  add->add_flag("--json", add_flags->json, "print the host as JSON");
  AddServerOptions(*add, add_flags->server);
  add->callback([add_flags, &exit_code] { exit_code = RunAdd(*add_flags); });

  auto show_flags = std::make_shared<HostFlags>();
  CLI::App* show = group->add_subcommand("show", "show a registered host");
  show->add_option("HOST", show_flags->host_id, "host id")->required();
  show->add_flag("--json", show_flags->json, "print the host as JSON");
  AddServerOptions(*show, show_flags->server);
  show->callback([show_flags, &exit_code] { exit_code = RunShow(*show_flags); });
}

}  // namespace bootgate::cli
