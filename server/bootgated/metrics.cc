#include "server/bootgated/metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <utility>

#include "absl/time/clock.h"
#include "bootgate_version.h"
#include "prometheus/gauge.h"
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
                                .Register(*registry_)),
      notifications_(prometheus::BuildCounter()
                         .Name("bootgate_notifications_total")
                         .Help("Eligibility notification POSTs by result (delivered, failed)")
                         .Register(*registry_)),
      notifications_pending_(prometheus::BuildGauge()
                                 .Name("bootgate_notifications_pending")
                                 .Help("Eligibility notifications not delivered yet")
                                 .Register(*registry_)
                                 .Add({})),
      hosts_(prometheus::BuildGauge()
                 .Name("bootgate_hosts")
                 .Help("Registered hosts by group and by whether they are placement-eligible now")
                 .Register(*registry_)),
      resident_memory_(prometheus::BuildGauge()
                           .Name("process_resident_memory_bytes")
                           .Help("Resident memory size in bytes")
                           .Register(*registry_)
                           .Add({})),
      cpu_seconds_(prometheus::BuildGauge()
                       .Name("process_cpu_seconds_total")
                       .Help("User and system CPU time spent in seconds")
                       .Register(*registry_)
                       .Add({})) {
  prometheus::BuildGauge()
      .Name("bootgate_build_info")
      .Help("The running build (always 1): project version and git revision")
      .Register(*registry_)
      .Add({{"version", BOOTGATE_VERSION}, {"revision", BOOTGATE_GIT_REVISION}})
      .Set(1);
  prometheus::BuildGauge()
      .Name("process_start_time_seconds")
      .Help("Start time of the process since the Unix epoch in seconds")
      .Register(*registry_)
      .Add({})
      .Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
}

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

void Metrics::NotificationTried(bool delivered) {
  notifications_.Add({{"result", delivered ? "delivered" : "failed"}}).Increment();
}

void Metrics::SetHostCounts(const std::vector<server::store::GroupEligibility>& counts) {
  // "-" is bootgated's registry value for a host registered in no group: one label with "".
  std::map<std::pair<std::string, bool>, int64_t> hosts;
  for (const server::store::GroupEligibility& c : counts) {
    hosts[{c.group == "-" ? "" : c.group, c.eligible}] += c.hosts;
  }
  std::lock_guard lock(hosts_mu_);
  std::vector<prometheus::Gauge*> now;
  for (const auto& [key, n] : hosts) {
    prometheus::Gauge& gauge =
        hosts_.Add({{"group", key.first}, {"eligible", key.second ? "true" : "false"}});
    gauge.Set(static_cast<double>(n));
    now.push_back(&gauge);
  }
  for (prometheus::Gauge* old : host_gauges_) {
    if (std::find(now.begin(), now.end(), old) == now.end()) hosts_.Remove(old);
  }
  host_gauges_ = std::move(now);
}

void Metrics::NotificationsPending(int64_t pending) {
  notifications_pending_.Set(static_cast<double>(pending));
}

std::string Metrics::Serialize() const {
  // The process figures as of this scrape (the names Prometheus client libraries use).
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    cpu_seconds_.Set(static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6);
  }
  std::ifstream statm("/proc/self/statm");  // total and resident size, in pages
  long total_pages = 0, resident_pages = 0;
  if (statm >> total_pages >> resident_pages) {
    resident_memory_.Set(static_cast<double>(resident_pages) *
                         static_cast<double>(sysconf(_SC_PAGESIZE)));
  }
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace bootgate::service
