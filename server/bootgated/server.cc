#include "server/bootgated/server.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "server/bootgated/attest_receiver.h"
#include "server/bootgated/attestation_service.h"
#include "server/bootgated/audit_service.h"
#include "server/bootgated/config.h"
#include "server/bootgated/enrollment_service.h"
#include "server/bootgated/history_service.h"
#include "server/bootgated/hosts_service.h"
#include "server/bootgated/http_server.h"
#include "server/bootgated/https_api.h"
#include "server/bootgated/in_flight_calls.h"
#include "server/bootgated/keys_service.h"
#include "server/bootgated/memory_release.h"
#include "server/bootgated/placement_service.h"
#include "server/bootgated/policy_service.h"
#include "server/bootgated/reload.h"
#include "server/bootgated/request_log.h"
#include "server/bootgated/tls_credentials.h"
#include "server/bootgated/token_key_file.h"
#include "server/bootgated/transport_limits.h"
#include "server/bootgated/verdict_recorder.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/policy/load.h"

namespace bootgate::service {
namespace {

// How long a stop waits for running calls before it cancels them.
constexpr absl::Duration kDrainTime = absl::Seconds(5);

// Decides whether one ServerBuilder serves reflection. Linking grpc++_reflection registers its
// plugin for every ServerBuilder of the process (a static initializer), so the plugin is taken
// out of this builder's list, and put back only when configured.
class ReflectionOption : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool on) : on_(on) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    auto plugin = std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>();
    const std::string name = plugin->name();
    std::erase_if(*plugins, [&](const auto& p) { return p->name() == name; });
    if (on_) plugins->push_back(std::move(plugin));
  }

 private:
  bool on_;
};

}  // namespace

std::string ListenError(const std::string& what, const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::StrCat("cannot listen on ", what, " \"", address, "\"");
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string why = "the address cannot be bound";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int resolved =
      getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
  if (resolved != 0) {
    why = absl::StrCat("cannot resolve \"", host, "\": ", gai_strerror(resolved));
  } else {
    // Bound as gRPC binds (SO_REUSEADDR, no SO_REUSEPORT): EADDRINUSE means a listener holds it.
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      const int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
      if (fd < 0) continue;
      const int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      const int rc = bind(fd, a->ai_addr, a->ai_addrlen);
      const int err = errno;
      close(fd);
      if (rc == 0) continue;
      why = err == EADDRINUSE
                ? absl::StrCat("port ", port, " is already in use (another bootgated?)")
                : absl::StrCat("bind: ", strerror(err));
      break;
    }
    freeaddrinfo(found);
  }
  return absl::StrCat("cannot listen on ", what, " ", address, " (port ", port, "): ", why);
}

absl::StatusOr<std::unique_ptr<Bootgated>> Bootgated::Start(const v1::ServerConfig& raw) {
  RouteLibraryLogs();
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
  store_options.max_event_log_bytes = config.limits().max_event_log_bytes();
  store_options.notification_urls.assign(config.notifications().urls().begin(),
                                         config.notifications().urls().end());
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
  ctx.retention =
      std::make_unique<RetentionRunner>(ctx.store.get(), RetentionPolicyFrom(config.retention()),
                                        ToDuration(config.retention().interval()));
  ctx.notifier =
      std::make_unique<Notifier>(ctx.store.get(), ctx.metrics.get(), config.notifications());
  ctx.placement = std::make_unique<PlacementHub>(ctx.store.get(), ctx.policies.get());
  ctx.placement->SetExpiryObserver(
      [notifier = ctx.notifier.get()](const v1::Verdict& verdict, absl::Time at) {
        notifier->Expired(verdict, at);
      });
  // Replicas agree: what another replica records reaches this one's Placement watchers.
  server::store::FeedCallbacks feed;
  feed.on_recorded = [&ctx](int64_t id) { PublishRecorded(ctx, id); };
  feed.on_link = [](const absl::Status& link) {
    if (link.ok()) {
      LogEvent("store_listener_reconnected");
    } else {
      LogEvent("store_listener_lost", {{"msg", link.message()}});
    }
  };
  ASSIGN_OR_RETURN(out->replica_feed_, ctx.store->FollowAttestations(std::move(feed)));
  ASSIGN_OR_RETURN(EnrollmentTrust trust, LoadEnrollmentTrust(config.enrollment()));
  ctx.enrollment = std::make_unique<EnrollmentTrustHolder>(
      std::make_shared<const EnrollmentTrust>(std::move(trust)));
  // Workers block on the store's group commit: enough of them that a batch can fill up.
  ctx.workers = std::make_unique<WorkerPool>(
      std::max(16, 4 * static_cast<int>(std::thread::hardware_concurrency())));

  // Health stays open to every caller (load balancers); reflection only when configured.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<ReflectionOption>(config.reflection()));
  // TLS whose certificate, key and client CAs SIGHUP can replace (tls_credentials.h).
  ASSIGN_OR_RETURN(out->tls_, ServerTls::Create(config.tls(), config.data_dir()));
  const std::shared_ptr<grpc::ServerCredentials> credentials = out->tls_->credentials();
  out->calls_ = std::make_unique<InFlightCalls>();
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(out->calls_->InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  // One instance per port: without SO_REUSEPORT a second bootgated on a taken port fails to
  // bind instead of silently sharing the traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(config.listen_address(), credentials, &out->grpc_port_);
  // Bounds on connections and on Attest's large requests before they are whole (issue 13).
  ApplyTransportLimits(config.limits(), builder);
  ReleaseLargeAllocations();
  out->free_memory_returner_ = ReturnFreeMemoryEverySecond();
  out->attest_receiver_ = std::make_unique<AttestReceiver>(&ctx);
  builder.RegisterCallbackGenericService(out->attest_receiver_.get());
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
    return absl::UnavailableError(ListenError("listen_address", config.listen_address()));
  }
  // Health answers for the whole server ("") and for each service by its full name, as load
  // balancers and grpc_health_probe ask (`-service bootgate.v1.Attestation`).
  for (const char* name :
       {v1::Attestation::service_full_name(), v1::Audit::service_full_name(),
        v1::Enrollment::service_full_name(), v1::History::service_full_name(),
        v1::Hosts::service_full_name(), v1::Keys::service_full_name(),
        v1::Placement::service_full_name(), v1::PolicyService::service_full_name()}) {
    out->server_->GetHealthCheckService()->SetServingStatus(name, true);
  }
  if (config.http_address() != "off") {
    ASSIGN_OR_RETURN(out->http_, HttpServer::Start(config.http_address(), &ctx));
  }
  if (config.https_address() != "off") {
    ASSIGN_OR_RETURN(out->https_, HttpsApi::Start(config.https_address(), &ctx, *out->tls_));
  }
  out->reloader_ = std::make_unique<Reloader>(&ctx, out->tls_.get());
  auto durability = ctx.store->Durability();
  auto policy = ctx.policies->Current();
  LogEvent("started", {{"grpc_port", absl::StrCat(out->grpc_port_)},
                       {"http_port", absl::StrCat(out->http_port())},
                       {"https_port", absl::StrCat(out->https_port())},
                       {"store", durability.ok() ? durability->backend : "?"},
                       {"policy", policy ? policy->policy.name() : "none"},
                       {"reflection", config.reflection() ? "on" : "off"}});
  return out;
}

int Bootgated::http_port() const { return http_ ? http_->port() : 0; }
int Bootgated::https_port() const { return https_ ? https_->port() : 0; }

void Bootgated::Wait() { server_->Wait(); }

absl::Status Bootgated::Reload(const v1::ServerConfig& config) {
  return reloader_->Reload(config).status();
}

void Bootgated::Shutdown(absl::string_view why) {
  if (shut_down_) return;
  shut_down_ = true;
  const int64_t in_flight = calls_->count();
  const absl::Time deadline = absl::Now() + kDrainTime;
  context_->placement->Shutdown();
  // gRPC stops accepting at once, waits for running calls until the deadline, then cancels
  // them; meanwhile the calls still running are counted down here.
  std::thread stop([&] { server_->Shutdown(absl::ToChronoTime(deadline)); });
  const int64_t cancelled = calls_->WaitUntilIdle(deadline);
  stop.join();
  http_.reset();
  https_.reset();
  context_->workers.reset();  // finishes queued work before the store goes
  LogEvent("stopped", {{"why", why},
                       {"in_flight", absl::StrCat(in_flight)},
                       {"drained", absl::StrCat(std::max<int64_t>(in_flight - cancelled, 0))},
                       {"cancelled", absl::StrCat(cancelled)}});
}

Bootgated::~Bootgated() {
  if (server_) Shutdown();
}

}  // namespace bootgate::service
