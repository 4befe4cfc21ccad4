// bootgated's log: logfmt lines on stderr (server/bootgated/logfmt.h), every one written here and
// every value escaped, so that no caller-chosen byte can end a line or forge a field. One line per
// request, and the matching request counter:
//   ts=2025-06-01T12:00:00.123Z method=Attest host=web-1 code=OK latency_ms=3.1 tier=affirming
// Refused requests carry msg="..." with the status message. Other records are events
// (LogEvent): ts=... event=denied method=Placement.Get caller="a b" ...; gRPC core's and
// protobuf's own messages become event=grpc / event=protobuf lines (RouteLibraryLogs).
#ifndef BOOTGATE_SERVER_BOOTGATED_REQUEST_LOG_H_
#define BOOTGATE_SERVER_BOOTGATED_REQUEST_LOG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "grpcpp/support/status.h"
#include "server/bootgated/logfmt.h"
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

// Writes one log line (not tied to a request): "ts=... event=<event> <key>=<value>...", every
// value escaped by LogfmtValue.
void LogEvent(absl::string_view event, absl::Span<const LogField> fields = {});

// Sends gRPC core's log messages (gpr_set_log_function) and protobuf's (SetLogHandler) through
// LogEvent as event=grpc / event=protobuf with severity, at (file:line) and msg. Process-wide;
// runs once however often it is called. Bootgated::Start calls it.
void RouteLibraryLogs();

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_REQUEST_LOG_H_
