#include "cli/placement_command.h"

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "bootgate/v1/placement.grpc.pb.h"
#include "cli/exit_codes.h"
#include "cli/grpc_client.h"
#include "cli/remote_output.h"
#include "cli/stop_signal.h"

namespace bootgate::cli {
namespace {

struct PlacementFlags {
  ServerOptions server;
  std::string host_id;
  std::vector<std::string> host_ids;  // watch
  std::string group;                  // watch
  uint64_t count = 0;                 // watch: 0 = until interrupted
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

int RunWatch(const PlacementFlags& f) {
  if (f.host_ids.empty() == f.group.empty()) {
    return ReportError("placement watch: give HOST... or --group G (one of them)");
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(f.server);
  if (!channel.ok()) return ReportError(channel.status().message());
  std::unique_ptr<v1::Placement::Stub> stub = v1::Placement::NewStub(*channel);
  v1::WatchPlacementRequest request;
  for (const std::string& id : f.host_ids) request.add_host_ids(id);
  request.set_group(f.group);

  // No deadline: the stream lasts until --count changes or Ctrl-C, which cancels the call
  // from a watcher thread (a blocking Read cannot be interrupted otherwise).
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::PlacementChange>> reader = stub->Watch(&context, request);
  CatchStopSignals();
  std::atomic<bool> done = false;
  std::thread canceller([&] {
    while (!done.load()) {
      if (StopRequested()) {
        context.TryCancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });

  uint64_t seen = 0;
  v1::PlacementChange change;
  while ((f.count == 0 || seen < f.count) && reader->Read(&change)) {
    ++seen;
    std::cout << (f.json ? ProtoJson(change, /*compact=*/true) : PlacementChangeLine(change))
              << std::flush;
  }
  if (f.count != 0 && seen == f.count) context.TryCancel();
  const grpc::Status status = reader->Finish();
  done = true;
  canceller.join();
  if (StopRequested() || (f.count != 0 && seen == f.count)) return kExitOk;
  if (!status.ok()) return ReportRpcError("Placement.Watch", status, f.server);
  return ReportError("Placement.Watch: the server ended the stream");
}

}  // namespace

void AddPlacementCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<PlacementFlags>();
  CLI::App* cmd = app.add_subcommand(
      "placement",
      "may workloads be placed on HOST now? (exit 0 yes, 1 no, 2 error); `placement watch` "
      "follows changes");
  // Not required(): `placement watch ...` gives no HOST to the group itself.
  cmd->add_option("HOST", flags->host_id, "host id");
  cmd->add_flag("--json", flags->json, "print the placement status as JSON");
  AddServerOptions(*cmd, flags->server);

  auto watch_flags = std::make_shared<PlacementFlags>();
  CLI::App* watch = cmd->add_subcommand(
      "watch",
      "print one line per eligibility change of HOST... or of every host of --group (the "
      "current state of each first) until --count changes or Ctrl-C");
  watch->add_option("HOST", watch_flags->host_ids, "host ids to watch");
  watch->add_option("--group", watch_flags->group,
                    "watch every host of this policy group (also hosts that join it later)");
  watch->add_option("--count", watch_flags->count, "stop after N changes (default: until Ctrl-C)");
  watch->add_flag("--json", watch_flags->json, "one PlacementChange as JSON per line");
  AddServerOptions(*watch, watch_flags->server);
  watch->callback([watch_flags, &exit_code] { exit_code = RunWatch(*watch_flags); });

  // The group's own callback also runs after `watch`: answer Get only without a subcommand.
  cmd->callback([cmd, flags, &exit_code] {
    if (!cmd->get_subcommands().empty()) return;
    if (flags->host_id.empty()) {
      exit_code = ReportError("placement: give HOST (or `placement watch`)");
      return;
    }
    exit_code = RunPlacement(*flags);
  });
}

}  // namespace bootgate::cli
