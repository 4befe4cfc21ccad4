// bootgated's Prometheus metrics, served as text at GET /metrics (http_server.h).
#ifndef BOOTGATE_SERVER_BOOTGATED_METRICS_H_
#define BOOTGATE_SERVER_BOOTGATED_METRICS_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/store/records.h"

namespace bootgate::service {

class Metrics {
 public:
  Metrics();

  // bootgate_attestations_total{tier}: stored verdicts.
  void AttestationStored(absl::string_view tier);
  // bootgate_attest_latency_seconds: Attest calls that produced a verdict, end to end.
  void ObserveAttestLatency(double seconds);
  // bootgate_store_latency_seconds{operation}.
  void ObserveStoreLatency(absl::string_view operation, double seconds);
  // bootgate_token_rejections_total{reason}: "malformed", "bad-mac", "expired", "reused", ...
  void TokenRejected(absl::string_view reason);
  // bootgate_unattributed_requests_total{reason}: refused requests that changed no state.
  void Unattributed(absl::string_view reason);
  // bootgate_requests_total{method, code}.
  void Request(absl::string_view method, absl::string_view code);
  // bootgate_refused_calls_total{method, reason}: calls refused by access control
  // ("permission-denied") or by enrollment and attestation rules (the status code's name).
  void RefusedCall(absl::string_view method, absl::string_view reason);
  // bootgate_audit_write_failures_total: audit records that could not be stored (logged instead).
  void AuditWriteFailed();
  // bootgate_notifications_total{result}: eligibility notification POSTs, "delivered" (2xx)
  // or "failed" (retried later); bootgate_notifications_pending: undelivered, as last counted.
  void NotificationTried(bool delivered);
  void NotificationsPending(int64_t pending);
  // bootgate_hosts{group, eligible="true"|"false"}: registered hosts by group and eligibility
  // (Store::CountHostsByEligibility); a group no longer counted is dropped. Hosts without a
  // group have group="".
  void SetHostCounts(const std::vector<server::store::GroupEligibility>& counts);

  // The Prometheus text exposition format of every metric.
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& attestations_;
  prometheus::Family<prometheus::Histogram>& attest_latency_;
  prometheus::Family<prometheus::Histogram>& store_latency_;
  prometheus::Family<prometheus::Counter>& token_rejections_;
  prometheus::Family<prometheus::Counter>& unattributed_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& refused_calls_;
  prometheus::Family<prometheus::Counter>& audit_write_failures_;
  prometheus::Family<prometheus::Counter>& notifications_;
  prometheus::Gauge& notifications_pending_;
  prometheus::Family<prometheus::Gauge>& hosts_;
  std::mutex hosts_mu_;
  std::vector<prometheus::Gauge*> host_gauges_;  // as last set
  // Set from the process itself at each scrape (Serialize).
  prometheus::Gauge& resident_memory_;
  prometheus::Gauge& cpu_seconds_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_METRICS_H_
