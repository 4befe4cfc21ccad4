#include "cli/placement_command.h"

#include <iostream>

#include "bootgate/v1/placement.grpc.pb.h"
#include "cli/exit_codes.h"
#include "cli/grpc_client.h"
#include "cli/remote_output.h"

namespace bootgate::cli {
namespace {

struct PlacementFlags {
  ServerOptions server;
  std::string host_id;
  bool json = false;
};

int RunPlacement(const PlacementFlags& f) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(f.server);
  if (!channel.ok()) return ReportError(channel.status().message());
  v1::GetPlacementRequest request;
  request.set_host_id(f.host_id);
  v1::PlacementStatus placement;
  grpc::ClientContext context;
  SetDeadline(context, f.server);
  grpc::Status status = v1::Placement::NewStub(*channel)->Get(&context, request, &placement);
  if (!status.ok()) return ReportRpcError("Placement.Get", status, f.server);
  std::cout << (f.json ? ProtoJson(placement) : PlacementText(placement));
  return placement.eligible() ? kExitOk : kExitRejected;
}

}  // namespace

void AddPlacementCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<PlacementFlags>();
  CLI::App* cmd = app.add_subcommand(
      "placement", "may workloads be placed on HOST now? (exit 0 yes, 1 no, 2 error)");
  cmd->add_option("HOST", flags->host_id, "host id")->required();
  cmd->add_flag("--json", flags->json, "print the placement status as JSON");
  AddServerOptions(*cmd, flags->server);
  cmd->callback([flags, &exit_code] { exit_code = RunPlacement(*flags); });
}

}  // namespace bootgate::cli
