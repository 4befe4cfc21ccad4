#include "server/bootgated/server.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "server/bootgated/attestation_service.h"
#include "server/bootgated/audit_service.h"
#include "server/bootgated/config.h"
#include "server/bootgated/enrollment_service.h"
#include "server/bootgated/history_service.h"
#include "server/bootgated/hosts_service.h"
#include "server/bootgated/http_server.h"
#include "server/bootgated/keys_service.h"
#include "server/bootgated/placement_service.h"
#include "server/bootgated/policy_service.h"
#include "server/bootgated/request_log.h"
#include "server/bootgated/token_key_file.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/policy/load.h"

namespace bootgate::service {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

absl::StatusOr<std::shared_ptr<const ActivePolicy>> LoadPolicyFile(const std::string& path) {
  if (path.empty()) return nullptr;
  ASSIGN_OR_RETURN(policy::PolicyFormat format, policy::PolicyFormatFromPath(path));
  ASSIGN_OR_RETURN(std::string text, ReadFile(path, "policy_file"));
  ASSIGN_OR_RETURN(v1::Policy loaded, policy::LoadPolicy(text, format, path));
  auto active = std::make_shared<ActivePolicy>();
  active->policy = std::move(loaded);
  active->stored_at = absl::Now();
  return active;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const v1::ServerConfig& c) {
  if (c.tls().cert_file().empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options;
  ASSIGN_OR_RETURN(std::string cert, ReadFile(c.tls().cert_file(), "tls.cert_file"));
  ASSIGN_OR_RETURN(std::string key, ReadFile(c.tls().key_file(), "tls.key_file"));
  options.pem_key_cert_pairs.push_back({key, cert});
  if (!c.tls().client_ca_file().empty()) {
    ASSIGN_OR_RETURN(options.pem_root_certs,
                     ReadFile(c.tls().client_ca_file(), "tls.client_ca_file"));
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Bootgated>> Bootgated::Start(const v1::ServerConfig& raw) {
  std::unique_ptr<Bootgated> out(new Bootgated);
  out->context_ = std::make_unique<ServiceContext>();
  ServiceContext& ctx = *out->context_;
  ctx.config = WithDefaults(raw);
  const v1::ServerConfig& config = ctx.config;
  RETURN_IF_ERROR(CheckListenSecurity(config));
  if (mkdir(config.data_dir().c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(
        absl::StrCat("cannot create data_dir ", config.data_dir(), ": ", strerror(errno)));
  }
  server::store::StoreOptions store_options;
  if (config.store().has_postgres())
    store_options.pool_size = config.store().postgres().pool_size();
  ASSIGN_OR_RETURN(ctx.store, server::store::OpenStore(StoreUrl(config), store_options));

  ASSIGN_OR_RETURN(std::vector<uint8_t> secret, LoadOrCreateTokenKey(config.tokens().key_file()));
  std::vector<server::TokenKey> previous;
  for (const v1::TokenKeyRef& ref : config.tokens().previous_keys()) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> old, ReadTokenKey(ref.key_file()));
    previous.push_back({static_cast<uint8_t>(ref.key_id()), std::move(old)});
  }
  ASSIGN_OR_RETURN(server::TokenService tokens,
                   server::TokenService::Create(
                       {static_cast<uint8_t>(config.tokens().key_id()), std::move(secret)},
                       std::move(previous), ToDuration(config.tokens().ttl())));
  ctx.tokens = std::make_unique<server::TokenService>(std::move(tokens));
  ASSIGN_OR_RETURN(server::KeySet keys, server::LoadOrCreateKeySet(config.signing().keys_dir()));
  ctx.signing_keys = std::make_unique<server::KeySet>(std::move(keys));
  ASSIGN_OR_RETURN(auto file_policy, LoadPolicyFile(config.policy_file()));
  ctx.policies = std::make_unique<PolicyHolder>(ctx.store.get(), std::move(file_policy));
  ctx.metrics = std::make_unique<Metrics>();
  ctx.placement = std::make_unique<PlacementHub>(ctx.store.get(), ctx.policies.get());
  // Workers block on the store's group commit: enough of them that a batch can fill up.
  ASSIGN_OR_RETURN(EnrollmentTrust trust, LoadEnrollmentTrust(config.enrollment()));
  ctx.enrollment = std::make_unique<EnrollmentTrust>(std::move(trust));
  ctx.workers = std::make_unique<WorkerPool>(
      std::max(16, 4 * static_cast<int>(std::thread::hardware_concurrency())));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  ASSIGN_OR_RETURN(auto credentials, Credentials(config));
  builder.AddListeningPort(config.listen_address(), credentials, &out->grpc_port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.limits().max_request_bytes()));
  out->services_.push_back(std::make_unique<AttestationService>(&ctx));
  out->services_.push_back(std::make_unique<HostsService>(&ctx));
  out->services_.push_back(std::make_unique<PlacementService>(&ctx));
  out->services_.push_back(std::make_unique<HistoryService>(&ctx));
  out->services_.push_back(std::make_unique<PolicyServiceImpl>(&ctx));
  out->services_.push_back(std::make_unique<KeysService>(&ctx));
  out->services_.push_back(std::make_unique<EnrollmentService>(&ctx));
  out->services_.push_back(std::make_unique<AuditService>(&ctx));
  for (auto& s : out->services_) builder.RegisterService(s.get());
  out->server_ = builder.BuildAndStart();
  if (!out->server_ || out->grpc_port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen_address()));
  }
  if (config.http_address() != "off") {
    ASSIGN_OR_RETURN(out->http_, HttpServer::Start(config.http_address(), &ctx));
  }
  LogEvent(
      "started",
      absl::StrCat(
          "grpc_port=", out->grpc_port_, " http_port=", out->http_port(),
          " store=", ctx.store->Durability().ok() ? ctx.store->Durability()->backend : "?",
          " policy=", ctx.policies->Current() ? ctx.policies->Current()->policy.name() : "none"));
  return out;
}

int Bootgated::http_port() const { return http_ ? http_->port() : 0; }

void Bootgated::Wait() { server_->Wait(); }

void Bootgated::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  context_->placement->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  http_.reset();
  context_->workers.reset();  // finishes queued work before the store goes
}

Bootgated::~Bootgated() {
  if (server_) Shutdown();
}

}  // namespace bootgate::service
