#include "server/bootgated/in_flight_calls.h"

namespace bootgate::service {

// Lives as long as its call: gRPC creates one per call and destroys it with the call.
class InFlightCalls::Counter : public grpc::experimental::Interceptor {
 public:
  explicit Counter(InFlightCalls* calls) : calls_(calls) { calls_->Add(1); }
  ~Counter() override { calls_->Add(-1); }
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }

 private:
  InFlightCalls* calls_;
};

class InFlightCalls::Factory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(InFlightCalls* calls) : calls_(calls) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new Counter(calls_);
  }

 private:
  InFlightCalls* calls_;
};

void InFlightCalls::Add(int64_t delta) {
  absl::MutexLock lock(&mu_);
  count_ += delta;
}

int64_t InFlightCalls::count() const {
  absl::MutexLock lock(&mu_);
  return count_;
}

int64_t InFlightCalls::WaitUntilIdle(absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithDeadline(absl::Condition(
                            +[](const int64_t* count) { return *count == 0; }, &count_),
                        deadline);
  return count_;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
InFlightCalls::InterceptorFactory() {
  return std::make_unique<Factory>(this);
}

}  // namespace bootgate::service
