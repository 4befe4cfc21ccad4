// Attestation.Attest, read under bounds (issue 13 items 2 and 3). A unary method registered
// with gRPC 1.51 reaches its handler only once its whole request arrived, and the transport
// reads all of it, whatever it announced, before comparing it with max_request_bytes (measured:
// RSS followed the bytes up to 1 GiB). Attest, the one method whose requests are large (event
// logs up to max_event_log_bytes), is therefore served as a generic call, which its reactor
// sees at its headers, before any of its message is read:
//  - nothing is read until the in-flight budget (request_budget.h) has room for a whole
//    request of max_request_bytes; meanwhile the stream holds at most one stream window
//    (transport_limits.h: 64 KiB). A call that waits longer than limits.queue_wait is refused
//    with RESOURCE_EXHAUSTED;
//  - once reading, the request must arrive within limits.receive_deadline (DEADLINE_EXCEEDED),
//    and the bytes its connection delivers are counted as they arrive (connection_bytes.h,
//    every 2 ms from the first poll): past max_request_bytes plus the windows of the
//    connection's other streams the call is refused with RESOURCE_EXHAUSTED, without waiting
//    for the rest;
//  - a received request holds its own size in the budget until its verdict is sent, and is
//    served by serve.h's RunServed like every other method (access gate, logs, audits).
// Every other method name that reaches the generic service is UNIMPLEMENTED, as it was.
#ifndef BOOTGATE_SERVER_BOOTGATED_ATTEST_RECEIVER_H_
#define BOOTGATE_SERVER_BOOTGATED_ATTEST_RECEIVER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <mutex>
#include <thread>

#include "grpcpp/generic/async_generic_service.h"
#include "server/bootgated/request_budget.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

inline constexpr char kAttestMethodPath[] = "/bootgate.v1.Attestation/Attest";

class AttestReceiver final : public grpc::CallbackGenericService {
 public:
  explicit AttestReceiver(ServiceContext* context);
  // Refuses what still waits and stops the scheduler; call after the gRPC server shut down.
  ~AttestReceiver() override;
  AttestReceiver(const AttestReceiver&) = delete;
  AttestReceiver& operator=(const AttestReceiver&) = delete;

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* rpc) override;

 private:
  class AttestCall;
  friend class AttestCall;

  void Schedule();  // the scheduler thread: admission, deadlines, byte counts
  // Under mu_: starts what the budget admits, refuses what waited or read too long or too much.
  // Returns whether some call is being read (the scheduler then polls more often).
  bool ScheduleLocked(std::chrono::steady_clock::time_point now);
  // Under mu_, where budget or a read slot was given back: wakes the scheduler only when calls
  // wait for them (every wake-up is a context switch, several per Attest otherwise).
  void WakeForQueuedLocked();

  ServiceContext* const context_;
  const uint64_t max_request_bytes_;
  const uint64_t byte_limit_;  // max_request_bytes + the other streams' windows + framing
  const std::chrono::milliseconds queue_wait_;
  const std::chrono::milliseconds receive_deadline_;
  std::mutex mu_;
  std::condition_variable wake_;
  RequestBudget budget_;          // guarded by mu_
  std::list<AttestCall*> calls_;  // guarded by mu_; in arrival order
  int queued_ = 0;                // guarded by mu_; calls_ waiting to be read
  bool polling_ = false;          // guarded by mu_; the scheduler polls reads every 2 ms
  bool stopping_ = false;         // guarded by mu_
  std::thread scheduler_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_ATTEST_RECEIVER_H_
