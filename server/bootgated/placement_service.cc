#include "server/bootgated/placement_service.h"

#include <deque>
#include <mutex>

#include "server/bootgated/request_log.h"
#include "server/bootgated/serve.h"

namespace bootgate::service {
namespace {

// Queues changes and writes them one at a time (a write reactor has at most one write in
// flight). Deletes itself in OnDone, after unsubscribing, so the hub never sees it dangling.
class WatchReactor final : public grpc::ServerWriteReactor<v1::PlacementChange>,
                           public PlacementHub::Subscriber {
 public:
  // `access` is the caller's permission to watch what `request` selects.
  WatchReactor(ServiceContext* context, const v1::WatchPlacementRequest& request,
               const absl::Status& access)
      : context_(context), log_(context->metrics.get(), "Placement.Watch") {
    if (!access.ok()) {
      FinishOnce(ToGrpcStatus(access));
      return;
    }
    if (request.host_ids().empty() == request.group().empty()) {
      FinishOnce(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              "set exactly one of host_ids and group"));
      return;
    }
    std::vector<std::string> hosts(request.host_ids().begin(), request.host_ids().end());
    auto id = context_->placement->Subscribe(hosts, request.group(), this);
    if (!id.ok()) {
      FinishOnce(ToGrpcStatus(id.status()));
      return;
    }
    std::lock_guard lock(mu_);
    subscription_ = *id;
  }

  void Deliver(const v1::PlacementChange& change) override {
    std::lock_guard lock(mu_);
    if (finished_) return;
    queue_.push_back(change);
    if (!writing_) WriteNextLocked();
  }

  void Close() override {
    std::lock_guard lock(mu_);
    subscription_ = 0;  // the hub forgets us itself
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "bootgated is shutting down"));
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher went away"));
      return;
    }
    queue_.pop_front();
    if (!queue_.empty() && !finished_) WriteNextLocked();
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    uint64_t subscription;
    {
      std::lock_guard lock(mu_);
      subscription = subscription_;
    }
    if (subscription != 0) context_->placement->Unsubscribe(subscription);
    delete this;
  }

 private:
  void WriteNextLocked() {
    writing_ = true;
    StartWrite(&queue_.front());
  }
  void FinishOnce(const grpc::Status& status) {
    std::lock_guard lock(mu_);
    FinishLocked(status);
  }
  void FinishLocked(const grpc::Status& status) {
    if (finished_) return;
    finished_ = true;
    Finish(log_.Done(status));
  }

  ServiceContext* context_;
  RequestLog log_;
  std::mutex mu_;
  std::deque<v1::PlacementChange> queue_;  // front() is being written while writing_
  bool writing_ = false;
  bool finished_ = false;
  uint64_t subscription_ = 0;
};

}  // namespace

const MethodSpec kPlacementGetMethod{"Placement.Get", Permission::kReadPlacement};

absl::StatusOr<v1::PlacementStatus> GetPlacement(ServiceContext& context,
                                                 const std::string& host_id) {
  if (host_id.empty()) return absl::InvalidArgumentError("host_id is required");
  auto result = context.placement->Status(host_id, absl::Now());
  if (absl::IsNotFound(result.status())) {
    return absl::NotFoundError("host \"" + host_id + "\" is not registered");
  }
  return result;
}

grpc::ServerUnaryReactor* PlacementService::Get(grpc::CallbackServerContext* call,
                                                const v1::GetPlacementRequest* request,
                                                v1::PlacementStatus* response) {
  return ServeUnary(context_, call, kPlacementGetMethod, request->host_id(), request, response,
                    [](const Call& c, const v1::GetPlacementRequest& r) {
                      return GetPlacement(c.context, r.host_id());
                    });
}

grpc::ServerWriteReactor<v1::PlacementChange>* PlacementService::Watch(
    grpc::CallbackServerContext* call, const v1::WatchPlacementRequest* request) {
  // Every selected host must be readable by the caller; a group watch reads hosts not named
  // yet, which a host-scoped agent may not.
  absl::Status access;
  if (!request->group().empty() || request->host_ids().empty()) {
    access =
        Authorize(*context_, *call, "Placement.Watch", Permission::kReadPlacement, "").status();
  }
  for (const std::string& host : request->host_ids()) {
    if (!access.ok()) break;
    access =
        Authorize(*context_, *call, "Placement.Watch", Permission::kReadPlacement, host).status();
  }
  return new WatchReactor(context_, *request, access);
}

}  // namespace bootgate::service
