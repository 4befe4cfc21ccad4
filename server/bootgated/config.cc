#include "server/bootgated/config.h"

#include <arpa/inet.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace bootgate::service {
namespace {

constexpr uint32_t kMiB = 1024 * 1024;

// Collects textproto parse errors with their line and column instead of protobuf's stderr log.
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (errors.empty()) errors = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  std::string errors;
};

}  // namespace

absl::StatusOr<v1::ServerConfig> ParseServerConfig(absl::string_view text,
                                                   absl::string_view source_name) {
  v1::ServerConfig config;
  if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "{")) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto status = google::protobuf::util::JsonStringToMessage(std::string(text), &config, options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_name, ": ", std::string(status.message())));
    }
    return config;
  }
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, ":", errors.errors));
  }
  return config;
}

v1::ServerConfig WithDefaults(v1::ServerConfig c) {
  if (c.listen_address().empty()) c.set_listen_address("127.0.0.1:7443");
  if (c.http_address().empty()) c.set_http_address("127.0.0.1:7480");
  if (c.https_address().empty()) c.set_https_address("off");
  if (c.kubernetes().host_id_format().empty()) {
    c.mutable_kubernetes()->set_host_id_format("{node}");
  }
  if (c.data_dir().empty()) c.set_data_dir("./bootgate-data");
  if (!c.store().has_postgres() && c.store().sqlite().path().empty()) {
    c.mutable_store()->mutable_sqlite()->set_path(c.data_dir() + "/bootgate.db");
  }
  if (c.store().has_postgres() && c.store().postgres().pool_size() == 0) {
    c.mutable_store()->mutable_postgres()->set_pool_size(8);
  }
  if (c.tokens().key_file().empty()) c.mutable_tokens()->set_key_file(c.data_dir() + "/token.key");
  if (!c.tokens().has_ttl()) c.mutable_tokens()->mutable_ttl()->set_seconds(300);
  if (c.signing().keys_dir().empty()) c.mutable_signing()->set_keys_dir(c.data_dir() + "/signing");
  v1::RetentionConfig* r = c.mutable_retention();
  if (!r->has_keep_last()) r->set_keep_last(100);
  if (!r->has_keep_for()) r->mutable_keep_for()->set_seconds(30 * 24 * 3600);
  if (!r->has_interval()) r->mutable_interval()->set_seconds(3600);
  v1::Limits* l = c.mutable_limits();
  if (l->max_event_log_bytes() == 0) l->set_max_event_log_bytes(16 * kMiB);
  if (l->max_quote_bytes() == 0) l->set_max_quote_bytes(4096);
  if (l->max_signature_bytes() == 0) l->set_max_signature_bytes(4096);
  if (l->max_pcrs_bytes() == 0) l->set_max_pcrs_bytes(64 * 1024);
  if (l->max_request_bytes() == 0) l->set_max_request_bytes(20 * kMiB);
  if (!l->has_default_deadline()) l->mutable_default_deadline()->set_seconds(30);
  if (l->transport_memory_bytes() == 0) l->set_transport_memory_bytes(128 * kMiB);
  if (l->max_threads() == 0) l->set_max_threads(64);
  if (l->max_streams_per_connection() == 0) l->set_max_streams_per_connection(16);
  if (l->inflight_request_bytes() == 0) l->set_inflight_request_bytes(64 * kMiB);
  if (!l->has_queue_wait()) l->mutable_queue_wait()->set_seconds(10);
  if (!l->has_receive_deadline()) l->mutable_receive_deadline()->set_seconds(30);
  if (!l->has_keepalive_time()) l->mutable_keepalive_time()->set_seconds(120);
  if (!l->has_keepalive_timeout()) l->mutable_keepalive_timeout()->set_seconds(20);
  if (!l->has_max_connection_idle()) l->mutable_max_connection_idle()->set_seconds(300);
  if (!l->has_handshake_timeout()) l->mutable_handshake_timeout()->set_seconds(10);
  return c;
}

bool IsLoopbackAddress(absl::string_view address) {
  // Strip the port: the host is everything before the last ':' (IPv6 in brackets).
  size_t colon = address.rfind(':');
  absl::string_view host = colon == absl::string_view::npos ? address : address.substr(0, colon);
  if (host == "localhost" || host == "[::1]") return true;
  // Only a literal IPv4 address in 127.0.0.0/8: a host name such as "127.example.com" may
  // resolve anywhere.
  in_addr ipv4{};
  const std::string literal(host);
  return inet_pton(AF_INET, literal.c_str(), &ipv4) == 1 && (ntohl(ipv4.s_addr) >> 24) == 127;
}

absl::Status CheckListenSecurity(const v1::ServerConfig& config) {
  const bool tls = !config.tls().cert_file().empty() && !config.tls().key_file().empty();
  if (!tls && !IsLoopbackAddress(config.listen_address())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "listen_address ", config.listen_address(),
        " is not a loopback address: configure tls.cert_file and tls.key_file to serve "
        "beyond this machine, or listen on 127.0.0.1"));
  }
  if (tls && config.tls().client_ca_file().empty()) {
    return absl::FailedPreconditionError(
        "tls.client_ca_file is required with TLS: bootgated identifies every caller by its client "
        "certificate (subject OU = role, CN = identity)");
  }
  // The HTTP endpoint (JWKS, metrics) is plaintext whatever gRPC uses: a JWKS fetched over a
  // network in clear could be swapped. Remote parties read the keys with Keys.Get over TLS, or
  // through a TLS proxy in front of the loopback endpoint.
  if (config.http_address() != "off" && !IsLoopbackAddress(config.http_address())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "http_address ", config.http_address(),
        " is not a loopback address: the JWKS/metrics endpoint is plain HTTP; listen on "
        "127.0.0.1 (behind a TLS proxy if remote parties need it) or set it to \"off\""));
  }
  if (config.https_address() != "off" && !tls) {
    return absl::FailedPreconditionError(absl::StrCat(
        "https_address ", config.https_address(),
        " needs tls.cert_file, tls.key_file and tls.client_ca_file: the HTTPS API identifies "
        "every caller by its client certificate, as gRPC does"));
  }
  return absl::OkStatus();
}

std::string StoreUrl(const v1::ServerConfig& config) {
  if (config.store().has_postgres()) return config.store().postgres().conninfo();
  return "sqlite://" + config.store().sqlite().path();
}

absl::Duration ToDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

}  // namespace bootgate::service
