// Counts the gRPC calls a server is running, so that a stop can say how many calls it let
// finish and how many it had to cancel (event=stopped). A server interceptor: every call, of
// every service (health included), counts from its start until gRPC destroys it.
#ifndef BOOTGATE_SERVER_BOOTGATED_IN_FLIGHT_CALLS_H_
#define BOOTGATE_SERVER_BOOTGATED_IN_FLIGHT_CALLS_H_

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"

namespace bootgate::service {

class InFlightCalls {
 public:
  int64_t count() const;
  // Blocks until no call is running or `deadline` passes; returns how many still run.
  int64_t WaitUntilIdle(absl::Time deadline) const;
  // For ServerBuilder::experimental().SetInterceptorCreators; this object must outlive the
  // server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  class Counter;
  class Factory;
  void Add(int64_t delta);

  mutable absl::Mutex mu_;
  int64_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_IN_FLIGHT_CALLS_H_
