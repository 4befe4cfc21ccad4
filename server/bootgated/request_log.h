// One structured log line per request (logfmt on stderr), and the matching request counter:
//   ts=2025-06-01T12:00:00.123Z method=Attest host=web-1 code=OK latency_ms=3.1 tier=affirming
// Refused requests carry msg="..." with the status message.
#ifndef BOOTGATE_SERVER_BOOTGATED_REQUEST_LOG_H_
#define BOOTGATE_SERVER_BOOTGATED_REQUEST_LOG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"
#include "server/bootgated/metrics.h"

namespace bootgate::service {

// "OK", "INVALID_ARGUMENT", ...
std::string GrpcCodeName(grpc::StatusCode code);

// Converts an absl::Status to grpc::Status: the one place codes cross the edge.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Measures one request from construction; Done() logs it and counts it.
class RequestLog {
 public:
  RequestLog(Metrics* metrics, absl::string_view method);
  void set_host(absl::string_view host) { host_ = std::string(host); }
  void set_tier(absl::string_view tier) { tier_ = std::string(tier); }
  // Logs and counts; returns `status` for chaining into Finish().
  grpc::Status Done(const grpc::Status& status);
  absl::Duration elapsed() const { return absl::Now() - start_; }

 private:
  Metrics* metrics_;
  std::string method_;
  std::string host_;
  std::string tier_;
  absl::Time start_;
};

// Writes one log line (not tied to a request): "ts=... event=<event> <fields>".
void LogEvent(absl::string_view event, absl::string_view fields);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_REQUEST_LOG_H_
