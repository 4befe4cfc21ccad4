#include "server/bootgated/request_log.h"

#include <cstdio>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/support/log.h"

namespace bootgate::service {
namespace {

std::string Timestamp() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
}

// The one place a log line is written: "ts=<now> " + the fields, every value escaped.
void WriteRecord(absl::Span<const LogField> fields) {
  const std::string ts = Timestamp();
  std::vector<LogField> all;
  all.reserve(fields.size() + 1);
  all.push_back({"ts", ts});
  all.insert(all.end(), fields.begin(), fields.end());
  // One fwrite per line so that concurrent requests never interleave within a line.
  const std::string out = LogfmtLine(all) + "\n";
  fwrite(out.data(), 1, out.size(), stderr);
}

absl::string_view BaseName(const char* file) {
  absl::string_view path = file == nullptr ? "" : file;
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

void GrpcCoreLog(gpr_log_func_args* args) {
  const char* severity = args->severity == GPR_LOG_SEVERITY_ERROR  ? "ERROR"
                         : args->severity == GPR_LOG_SEVERITY_INFO ? "INFO"
                                                                   : "DEBUG";
  LogEvent("grpc", {{"severity", severity},
                    {"at", absl::StrCat(BaseName(args->file), ":", args->line)},
                    {"msg", args->message == nullptr ? "" : args->message}});
}

void ProtobufLog(google::protobuf::LogLevel level, const char* file, int line,
                 const std::string& message) {
  static constexpr const char* kLevels[] = {"INFO", "WARNING", "ERROR", "FATAL"};
  const int index = static_cast<int>(level);
  LogEvent("protobuf", {{"severity", index >= 0 && index < 4 ? kLevels[index] : "?"},
                        {"at", absl::StrCat(BaseName(file), ":", line)},
                        {"msg", message}});
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
  const std::string latency = absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(elapsed()));
  // LogField holds views: every value it points to lives until WriteRecord returns.
  std::vector<LogField> fields = {{"method", method_},
                                  {"host", host_.empty() ? absl::string_view("-") : host_},
                                  {"code", code},
                                  {"latency_ms", latency}};
  if (!tier_.empty()) fields.push_back({"tier", tier_});
  const std::string message = status.error_message();  // returned by value
  if (!status.ok()) fields.push_back({"msg", message});
  WriteRecord(fields);
  if (metrics_ != nullptr) metrics_->Request(method_, code);
  return status;
}

void LogEvent(absl::string_view event, absl::Span<const LogField> fields) {
  std::vector<LogField> all;
  all.reserve(fields.size() + 1);
  all.push_back({"event", event});
  all.insert(all.end(), fields.begin(), fields.end());
  WriteRecord(all);
}

void RouteLibraryLogs() {
  static std::once_flag once;
  std::call_once(once, [] {
    gpr_set_log_function(&GrpcCoreLog);
    google::protobuf::SetLogHandler(&ProtobufLog);
  });
}

}  // namespace bootgate::service
