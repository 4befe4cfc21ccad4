#include "server/bootgated/https_api.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "server/bootgated/access.h"
#include "server/bootgated/admission_review.h"
#include "server/bootgated/attestation_service.h"
#include "server/bootgated/config.h"
#include "server/bootgated/history_service.h"
#include "server/bootgated/http_server.h"
#include "server/bootgated/https_tls.h"
#include "server/bootgated/keys_service.h"
#include "server/bootgated/placement_service.h"
#include "server/bootgated/request_log.h"
#include "server/bootgated/serve.h"
#include "server/bootgated/tls_credentials.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::service {
namespace {

using nlohmann::json;
namespace pb = google::protobuf;

constexpr char kJson[] = "application/json";
const MethodSpec kAdmissionMethod{"Admission.Review", Permission::kReadPlacement};

// The HTTP status google.rpc maps a gRPC code to (google/rpc/code.proto).
int HttpStatus(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

void WriteError(httplib::Response& res, const absl::Status& status) {
  res.status = HttpStatus(status.code());
  json error = {{"code", res.status},
                {"status", GrpcCodeName(ToGrpcStatus(status).error_code())},
                {"message", std::string(status.message())}};
  if (auto reason = status.GetPayload(kRefusalPayloadUrl); reason.has_value()) {
    error["reason"] = std::string(*reason);
  }
  res.set_content(json{{"error", error}}.dump(-1, ' ', false, json::error_handler_t::replace),
                  kJson);
}

void WriteMessage(httplib::Response& res, const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  if (auto printed = pb::util::MessageToJsonString(message, &out, options); !printed.ok()) {
    WriteError(res, absl::InternalError(std::string(printed.message())));
    return;
  }
  res.set_content(out, kJson);
}

absl::Status ParseJson(const std::string& body, pb::Message* message) {
  if (body.empty()) return absl::OkStatus();
  pb::util::JsonParseOptions options;
  if (auto parsed = pb::util::JsonStringToMessage(body, message, options); !parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the body is not a ",
                                                   message->GetDescriptor()->name(),
                                                   " in JSON: ", parsed.message().ToString()));
  }
  return absl::OkStatus();
}

// Query parameters as the request message's fields, by their JSON or proto names: a repeated
// field takes the parameter repeated or comma-separated, a bool "true" or "false".
absl::Status ParseQuery(const httplib::Params& params, pb::Message* message) {
  const pb::Descriptor* descriptor = message->GetDescriptor();
  json fields = json::object();
  for (const auto& [name, value] : params) {
    const pb::FieldDescriptor* field = descriptor->FindFieldByName(name);
    for (int i = 0; field == nullptr && i < descriptor->field_count(); ++i) {
      if (descriptor->field(i)->json_name() == name) field = descriptor->field(i);
    }
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown query parameter \"", name, "\" for ", descriptor->name()));
    }
    if (field->is_repeated()) {
      for (absl::string_view one : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        fields[field->json_name()].push_back(std::string(one));
      }
    } else if (field->type() == pb::FieldDescriptor::TYPE_BOOL) {
      if (value != "true" && value != "false") {
        return absl::InvalidArgumentError(absl::StrCat(name, " must be true or false"));
      }
      fields[field->json_name()] = value == "true";
    } else {
      fields[field->json_name()] = value;
    }
  }
  return ParseJson(fields.dump(-1, ' ', false, json::error_handler_t::replace), message);
}

// Who the connection's client certificate names (verified in the handshake, https_tls.h).
absl::StatusOr<Caller> HttpsCaller(const httplib::Request& req) {
  const crypto::X509Ptr cert = VerifiedPeerCertificate(req.ssl);
  if (!cert) {
    return absl::PermissionDeniedError(
        "no client certificate: this server identifies callers by mutual TLS (curl --cert/--key)");
  }
  return CallerOfCertificate(cert.get());
}

// One request the way serve.h serves a gRPC call: logged and counted under the gRPC method's
// name, the access gate, the body, refusals audited; the result written as JSON.
class Served {
 public:
  Served(ServiceContext* context, const httplib::Request& req, httplib::Response& res)
      : context_(context), req_(req), res_(res) {}

  template <typename Request, typename Fn>
  void Run(const MethodSpec& method, const std::string& host_id, Request& request, Fn body) {
    RequestLog log(context_->metrics.get(), method.name);
    log.set_host(host_id);
    auto result = ServeAuthorized(*context_, HttpsCaller(req_), Deadline(), method, host_id,
                                  request, log, body);
    log.Done(ToGrpcStatus(result.status()));
    if (result.ok()) {
      Write(*result);
    } else {
      WriteError(res_, result.status());
    }
  }

  // A request that fails before its method runs (a body that does not parse), logged as one.
  void Refuse(const MethodSpec& method, const std::string& host_id, const absl::Status& status) {
    RequestLog log(context_->metrics.get(), method.name);
    log.set_host(host_id);
    log.Done(ToGrpcStatus(status));
    WriteError(res_, status);
  }

 private:
  absl::Time Deadline() const {
    return absl::Now() + ToDuration(context_->config.limits().default_deadline());
  }
  void Write(const pb::Message& message) { WriteMessage(res_, message); }
  void Write(const std::string& document) {  // the admission review and the JWKS: as they are
    res_.set_content(document, kJson);
  }

  ServiceContext* context_;
  const httplib::Request& req_;
  httplib::Response& res_;
};

// `max_body`: the server's payload limit, for its error message.
void Routes(httplib::Server& server, ServiceContext* context, size_t max_body) {
  server.Get(R"(/v1/hosts/([^/]+)/placement)", [context](const auto& req, auto& res) {
    std::string host = req.matches[1];
    Served(context, req, res)
        .Run(kPlacementGetMethod, host, host,
             [](const Call& c, const std::string& h) { return GetPlacement(c.context, h); });
  });
  server.Get("/v1/attestations", [context](const auto& req, auto& res) {
    v1::ListAttestationsRequest request;
    if (auto parsed = ParseQuery(req.params, &request); !parsed.ok()) {
      Served(context, req, res).Refuse(kHistoryListMethod, "", parsed);
      return;
    }
    Served(context, req, res)
        .Run(kHistoryListMethod, request.host_id(), request,
             [](const Call& c, const v1::ListAttestationsRequest& r) {
               return ListAttestations(c.context, r);
             });
  });
  server.Get(R"(/v1/attestations/([^/]+))", [context](const auto& req, auto& res) {
    std::string id = req.matches[1];
    Served(context, req, res)
        .Run(kHistoryGetMethod, "", id, [](const Call& c, const std::string& attestation_id) {
          return GetAttestation(c.context, attestation_id);
        });
  });
  server.Get("/.well-known/jwks.json", [context](const auto& req, auto& res) {
    v1::GetKeysRequest request;
    Served(context, req, res)
        .Run(kKeysGetMethod, "", request,
             [](const Call& c, const v1::GetKeysRequest&) -> absl::StatusOr<std::string> {
               ASSIGN_OR_RETURN(v1::GetKeysResponse keys, GetKeys(c.context));
               return keys.jwks_json();
             });
  });
  server.Post(R"(/v1/hosts/([^/]+)/challenge)", [context](const auto& req, auto& res) {
    v1::ChallengeRequest request;
    request.set_host_id(req.matches[1]);
    Served(context, req, res)
        .Run(kChallengeMethod, request.host_id(), request,
             [](const Call& c, const v1::ChallengeRequest& r) {
               return Challenge(c.context, r, absl::Now());
             });
  });
  server.Post(R"(/v1/hosts/([^/]+)/attest)", [context](const auto& req, auto& res) {
    const std::string host = req.matches[1];
    v1::AttestRequest request;
    absl::Status parsed = ParseJson(req.body, &request);
    if (parsed.ok() && !request.host_id().empty() && request.host_id() != host) {
      parsed = absl::InvalidArgumentError(absl::StrCat("the body's hostId \"", request.host_id(),
                                                       "\" is not the path's \"", host, "\""));
    }
    if (!parsed.ok()) {
      Served(context, req, res).Refuse(kAttestMethod, host, parsed);
      return;
    }
    request.set_host_id(host);
    Served(context, req, res).Run(kAttestMethod, host, request, ServeAttest);
  });
  server.Post("/v1/admission/kubernetes", [context](const auto& req, auto& res) {
    absl::StatusOr<PodPlacementRequest> review = req.body.size() > kMaxAdmissionReviewBytes
                                                     ? absl::InvalidArgumentError("too large")
                                                     : ParseAdmissionReview(req.body);
    if (!review.ok()) {
      Served(context, req, res).Refuse(kAdmissionMethod, "", review.status());
      return;
    }
    const std::string host =
        review->node.empty()
            ? ""
            : HostIdForNode(context->config.kubernetes().host_id_format(), review->node);
    Served(context, req, res)
        .Run(kAdmissionMethod, host, *review,
             [&host](const Call& c, const PodPlacementRequest& r) -> absl::StatusOr<std::string> {
               if (r.node.empty()) {
                 return AdmissionReviewResponse(
                     r.uid, {true, 200, absl::StrCat(r.what, " places no Pod on a node")});
               }
               return AdmissionReviewResponse(
                   r.uid, JudgePlacement(r, host, GetPlacement(c.context, host)));
             });
  });
  // What cpp-httplib answers by itself (no route, a body over the limit, a request it cannot
  // parse), in the same JSON as every other error; the HTTP status stays its own.
  server.set_error_handler([max_body](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const int http = res.status;
    if (http == 404) {
      WriteError(res, absl::NotFoundError(absl::StrCat("no such endpoint: ", req.method, " ",
                                                       req.path, " (docs/http-api.md)")));
    } else if (http == 413) {
      WriteError(res, absl::ResourceExhaustedError(
                          absl::StrCat("the request body is larger than ", max_body,
                                       " bytes (4/3 of limits.max_request_bytes)")));
    } else {
      WriteError(res, absl::InvalidArgumentError(absl::StrCat("HTTP ", http)));
    }
    res.status = http;
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpsApi>> HttpsApi::Start(const std::string& address,
                                                          ServiceContext* context,
                                                          const ServerTls& tls) {
  if (!tls.enabled() || tls.identity() == nullptr || tls.trust() == nullptr) {
    return absl::FailedPreconditionError("https_address needs tls with a client_ca_file");
  }
  std::unique_ptr<HttpsApi> out(new HttpsApi);
  const TlsIdentityHolder* identity = tls.identity();
  const ClientTrust* trust = tls.trust();
  out->server_ = std::make_unique<httplib::SSLServer>(
      [identity, trust](SSL_CTX& ctx) { return ConfigureHttpsContext(ctx, identity, trust); });
  if (!out->server_->is_valid()) return absl::InternalError("cannot set up the HTTPS TLS context");
  const size_t max_body = context->config.limits().max_request_bytes() / 3 * 4 + (64 << 10);
  out->server_->set_payload_max_length(max_body);
  out->server_->new_task_queue = [] { return new httplib::ThreadPool(kHttpsThreads); };
  const absl::Duration receive = ToDuration(context->config.limits().receive_deadline());
  out->server_->set_read_timeout(std::chrono::seconds(absl::ToInt64Seconds(receive)));
  Routes(*out->server_, context, max_body);
  ASSIGN_OR_RETURN(out->port_, BindHttpServer(*out->server_, address, "https_address"));
  httplib::SSLServer* server = out->server_.get();
  out->thread_ = std::thread([server] { server->listen_after_bind(); });
  return out;
}

HttpsApi::~HttpsApi() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace bootgate::service
