#include "server/bootgated/metrics.h"

#include "prometheus/text_serializer.h"

namespace bootgate::service {
namespace {

// Milliseconds matter for Attest (the target is p99 < 20 ms), so the buckets are dense there.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  return *buckets;
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      attestations_(prometheus::BuildCounter()
                        .Name("bootgate_attestations_total")
                        .Help("Stored attestations by verdict tier")
                        .Register(*registry_)),
      attest_latency_(prometheus::BuildHistogram()
                          .Name("bootgate_attest_latency_seconds")
                          .Help("Attest calls that returned a verdict, receipt to reply")
                          .Register(*registry_)),
      store_latency_(prometheus::BuildHistogram()
                         .Name("bootgate_store_latency_seconds")
                         .Help("Store operations by kind")
                         .Register(*registry_)),
      token_rejections_(prometheus::BuildCounter()
                            .Name("bootgate_token_rejections_total")
                            .Help("Challenge tokens refused, by reason")
                            .Register(*registry_)),
      unattributed_(prometheus::BuildCounter()
                        .Name("bootgate_unattributed_requests_total")
                        .Help("Requests refused without changing any state, by reason")
                        .Register(*registry_)),
      requests_(prometheus::BuildCounter()
                    .Name("bootgate_requests_total")
                    .Help("gRPC requests by method and status code")
                    .Register(*registry_)),
      refused_calls_(prometheus::BuildCounter()
                         .Name("bootgate_refused_calls_total")
                         .Help("Calls refused by access control or enrollment/attestation rules")
                         .Register(*registry_)),
      audit_write_failures_(prometheus::BuildCounter()
                                .Name("bootgate_audit_write_failures_total")
                                .Help("Audit records that could not be stored (logged instead)")
                                .Register(*registry_)) {}

void Metrics::AttestationStored(absl::string_view tier) {
  attestations_.Add({{"tier", std::string(tier)}}).Increment();
}

void Metrics::ObserveAttestLatency(double seconds) {
  attest_latency_.Add({}, LatencyBuckets()).Observe(seconds);
}

void Metrics::ObserveStoreLatency(absl::string_view operation, double seconds) {
  store_latency_.Add({{"operation", std::string(operation)}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::TokenRejected(absl::string_view reason) {
  token_rejections_.Add({{"reason", std::string(reason)}}).Increment();
}

void Metrics::Unattributed(absl::string_view reason) {
  unattributed_.Add({{"reason", std::string(reason)}}).Increment();
}

void Metrics::Request(absl::string_view method, absl::string_view code) {
  requests_.Add({{"method", std::string(method)}, {"code", std::string(code)}}).Increment();
}

void Metrics::RefusedCall(absl::string_view method, absl::string_view reason) {
  refused_calls_.Add({{"method", std::string(method)}, {"reason", std::string(reason)}})
      .Increment();
}

void Metrics::AuditWriteFailed() { audit_write_failures_.Add({}).Increment(); }

std::string Metrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace bootgate::service
