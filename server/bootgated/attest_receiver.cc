#include "server/bootgated/attest_receiver.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "server/bootgated/access.h"
#include "server/bootgated/attestation_service.h"
#include "server/bootgated/config.h"
#include "server/bootgated/connection_bytes.h"
#include "server/bootgated/request_log.h"
#include "server/bootgated/serve.h"
#include "server/bootgated/transport_limits.h"

namespace bootgate::service {
namespace {

using Clock = std::chrono::steady_clock;

// What gRPC answered before, for a method no service registered.
class Unimplemented final : public grpc::ServerGenericBidiReactor {
 public:
  Unimplemented() { Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "")); }
  void OnDone() override { delete this; }
};

std::chrono::milliseconds Millis(const google::protobuf::Duration& d) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(ToDuration(d)));
}

std::string Seconds(std::chrono::milliseconds ms) {
  return absl::StrCat(static_cast<double>(ms.count()) / 1000.0, " s");
}

// Who a read is counted against: a certificate's identity, or (plaintext, every caller is
// "local") the connection.
std::string CallerKey(const ServiceContext& context, const grpc::CallbackServerContext& rpc) {
  absl::StatusOr<Caller> caller = CallerOf(context, rpc);
  if (caller.ok() && !caller->local) return absl::StrCat("cn:", caller->identity);
  return absl::StrCat("peer:", rpc.peer());
}

}  // namespace

class AttestReceiver::AttestCall final : public grpc::ServerGenericBidiReactor {
 public:
  enum class State { kQueued, kReading, kServing, kFinished };

  AttestCall(AttestReceiver* owner, grpc::GenericCallbackServerContext* rpc)
      : owner_(owner),
        rpc_(rpc),
        caller_(CallerKey(*owner->context_, *rpc)),
        peer_(rpc->peer()),
        arrived_(Clock::now()) {}

  // Under owner_->mu_ (as every method below that ends in Locked).
  void StartReadLocked(Clock::time_point now) {
    if (state_ == State::kQueued) --owner_->queued_;
    state_ = State::kReading;
    reading_ = true;
    read_started_ = now;
    StartRead(&in_);
  }

  // Ends the call with `status` unless it already ended; gives back its read.
  void RefuseLocked(const grpc::Status& status) {
    EndReadLocked(0);
    if (state_ == State::kFinished) return;
    if (state_ == State::kQueued) --owner_->queued_;
    state_ = State::kFinished;
    RequestLog log(owner_->context_->metrics.get(), kAttestMethod.name);
    Finish(log.Done(status));
  }

  // The bytes the connection delivered since the read was first polled, when they can be
  // counted. The socket is looked up only then (a scan of this process's descriptors): most
  // requests are whole before the first poll, 2 ms after their read started.
  std::optional<uint64_t> ReceivedLocked() {
    if (!bytes_) {
      bytes_ = std::make_unique<ConnectionBytes>(peer_);
      baseline_ = bytes_->received();
      return std::nullopt;
    }
    if (!baseline_) return std::nullopt;
    std::optional<uint64_t> now = bytes_->received();
    if (!now || *now < *baseline_) return std::nullopt;
    return *now - *baseline_;
  }

  void OnReadDone(bool ok) override {
    std::unique_lock<std::mutex> lock(owner_->mu_);
    const uint64_t size = ok ? in_.Length() : 0;
    EndReadLocked(size);
    owner_->WakeForQueuedLocked();
    if (state_ == State::kFinished) return;
    if (!ok) {
      RefuseLocked(
          grpc::Status(grpc::StatusCode::CANCELLED, "the call ended before its request arrived"));
      return;
    }
    state_ = State::kServing;
    lock.unlock();
    owner_->context_->workers->Submit([this] { Serve(); });
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(owner_->mu_);
    if (state_ == State::kQueued || state_ == State::kReading) {
      RefuseLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled"));
      owner_->WakeForQueuedLocked();
    }
  }

  void OnDone() override {
    {
      std::lock_guard<std::mutex> lock(owner_->mu_);
      EndReadLocked(0);
      owner_->budget_.Release(held_);
      owner_->calls_.remove(this);
      owner_->WakeForQueuedLocked();
    }
    delete this;
  }

  State state() const { return state_; }
  const std::string& caller() const { return caller_; }
  const std::string& peer() const { return peer_; }
  Clock::time_point arrived() const { return arrived_; }
  Clock::time_point read_started() const { return read_started_; }

 private:
  void EndReadLocked(uint64_t keep) {
    if (!reading_) return;
    reading_ = false;
    owner_->budget_.EndRead(caller_, peer_, keep);
    held_ = keep;
    bytes_.reset();
  }

  // On a worker: the request parsed (its bytes given back to gRPC), then served as every
  // unary method is.
  void Serve() {
    v1::AttestRequest request;
    grpc::Status parsed = grpc::SerializationTraits<v1::AttestRequest>::Deserialize(&in_, &request);
    if (!parsed.ok()) {
      Done(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the request does not parse as an AttestRequest"));
      return;
    }
    auto body = [](const Call& c, v1::AttestRequest& r) { return ServeAttest(c, r); };
    RunServed(owner_->context_, rpc_, kAttestMethod, request.host_id(), request, &verdict_, body,
              [this](const grpc::Status& status) { Done(status); });
  }

  void Done(const grpc::Status& status) {
    std::lock_guard<std::mutex> lock(owner_->mu_);
    if (state_ == State::kFinished) return;
    state_ = State::kFinished;
    if (!status.ok()) {
      Finish(status);
      return;
    }
    bool own_buffer = false;
    grpc::Status serialized =
        grpc::SerializationTraits<v1::Verdict>::Serialize(verdict_, &out_, &own_buffer);
    if (!serialized.ok()) {
      Finish(serialized);
      return;
    }
    StartWriteAndFinish(&out_, grpc::WriteOptions(), grpc::Status::OK);
  }

  AttestReceiver* const owner_;
  grpc::GenericCallbackServerContext* const rpc_;
  const std::string caller_;
  const std::string peer_;
  const Clock::time_point arrived_;
  State state_ = State::kQueued;
  bool reading_ = false;  // holds a read in the budget
  uint64_t held_ = 0;     // request bytes held in the budget after the read
  Clock::time_point read_started_;
  std::unique_ptr<ConnectionBytes> bytes_;
  std::optional<uint64_t> baseline_;
  grpc::ByteBuffer in_;
  grpc::ByteBuffer out_;
  v1::Verdict verdict_;
};

AttestReceiver::AttestReceiver(ServiceContext* context)
    : context_(context),
      max_request_bytes_(context->config.limits().max_request_bytes()),
      // The request, its HTTP/2 and TLS framing (well under 1/64) and one window per other
      // stream of the connection.
      byte_limit_(max_request_bytes_ + max_request_bytes_ / 64 +
                  uint64_t{context->config.limits().max_streams_per_connection()} *
                      kStreamWindowBytes),
      queue_wait_(Millis(context->config.limits().queue_wait())),
      receive_deadline_(Millis(context->config.limits().receive_deadline())),
      budget_(context->config.limits().inflight_request_bytes(), max_request_bytes_) {
  scheduler_ = std::thread([this] { Schedule(); });
}

AttestReceiver::~AttestReceiver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (AttestCall* call : calls_) {
      if (call->state() == AttestCall::State::kQueued ||
          call->state() == AttestCall::State::kReading) {
        call->RefuseLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "bootgated is stopping"));
      }
    }
  }
  wake_.notify_one();
  scheduler_.join();
}

grpc::ServerGenericBidiReactor* AttestReceiver::CreateReactor(
    grpc::GenericCallbackServerContext* rpc) {
  if (rpc->method() != kAttestMethodPath) return new Unimplemented;
  auto* call = new AttestCall(this, rpc);
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(call);
  ++queued_;
  if (stopping_) {
    call->RefuseLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "bootgated is stopping"));
  } else if (budget_.TryStartRead(call->caller(), call->peer())) {
    call->StartReadLocked(Clock::now());
    // The scheduler polls the read's bytes: at once if it was not polling already.
    if (!polling_) wake_.notify_one();
  }
  return call;
}

void AttestReceiver::WakeForQueuedLocked() {
  if (queued_ > 0) wake_.notify_one();
}

void AttestReceiver::Schedule() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    polling_ = ScheduleLocked(Clock::now());
    wake_.wait_for(lock, polling_ ? std::chrono::milliseconds(2) : std::chrono::milliseconds(100));
  }
}

bool AttestReceiver::ScheduleLocked(Clock::time_point now) {
  bool reading = false;
  for (AttestCall* call : calls_) {
    if (call->state() == AttestCall::State::kQueued) {
      if (budget_.TryStartRead(call->caller(), call->peer())) {
        call->StartReadLocked(now);
        reading = true;
      } else if (now - call->arrived() >= queue_wait_) {
        call->RefuseLocked(grpc::Status(
            grpc::StatusCode::RESOURCE_EXHAUSTED,
            absl::StrCat("bootgated is busy: Attest requests in flight fill "
                         "limits.inflight_request_bytes (",
                         budget_.total(), " bytes) and this one waited ", Seconds(queue_wait_),
                         " (limits.queue_wait) without being read; retry later")));
      }
    } else if (call->state() == AttestCall::State::kReading) {
      const std::optional<uint64_t> received = call->ReceivedLocked();
      if (received && *received > byte_limit_) {
        call->RefuseLocked(
            grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                         absl::StrCat("the request is larger than limits.max_request_bytes (",
                                      max_request_bytes_, " bytes): ", *received,
                                      " bytes arrived on its connection and it was not complete")));
      } else if (now - call->read_started() >= receive_deadline_) {
        call->RefuseLocked(
            grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                         absl::StrCat("the request did not arrive within limits.receive_deadline (",
                                      Seconds(receive_deadline_), ")")));
      } else {
        reading = true;
      }
    }
  }
  return reading;
}

}  // namespace bootgate::service
