#include "server/bootgated/request_log.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"

namespace bootgate::service {
namespace {

std::string Timestamp() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
}

std::string Quote(absl::string_view text) {
  return absl::StrCat(
      "\"", absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", " "}}), "\"");
}

void WriteLine(const std::string& line) {
  // One fwrite per line so that concurrent requests never interleave within a line.
  std::string out = line + "\n";
  fwrite(out.data(), 1, out.size(), stderr);
}

}  // namespace

std::string GrpcCodeName(grpc::StatusCode code) {
  // gRPC and Abseil number their status codes alike.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

RequestLog::RequestLog(Metrics* metrics, absl::string_view method)
    : metrics_(metrics), method_(method), start_(absl::Now()) {}

grpc::Status RequestLog::Done(const grpc::Status& status) {
  const std::string code = GrpcCodeName(status.error_code());
  std::string line = absl::StrFormat("ts=%s method=%s host=%s code=%s latency_ms=%.3f", Timestamp(),
                                     method_, host_.empty() ? "-" : Quote(host_), code,
                                     absl::ToDoubleMilliseconds(elapsed()));
  if (!tier_.empty()) absl::StrAppend(&line, " tier=", tier_);
  if (!status.ok()) absl::StrAppend(&line, " msg=", Quote(status.error_message()));
  WriteLine(line);
  if (metrics_ != nullptr) metrics_->Request(method_, code);
  return status;
}

void LogEvent(absl::string_view event, absl::string_view fields) {
  WriteLine(absl::StrCat("ts=", Timestamp(), " event=", event, fields.empty() ? "" : " ", fields));
}

}  // namespace bootgate::service
