// What every gRPC service of one bootgated shares. Owned by Bootgated (server.h); the
// services borrow it for their whole life.
#ifndef BOOTGATE_SERVER_BOOTGATED_SERVICE_CONTEXT_H_
#define BOOTGATE_SERVER_BOOTGATED_SERVICE_CONTEXT_H_

#include <memory>
#include <string>

#include "bootgate/v1/config.pb.h"
#include "server/bootgated/ak_cache.h"
#include "server/bootgated/enrollment_trust.h"
#include "server/bootgated/metrics.h"
#include "server/bootgated/notifier.h"
#include "server/bootgated/placement_hub.h"
#include "server/bootgated/policy_holder.h"
#include "server/bootgated/retention_runner.h"
#include "server/bootgated/worker_pool.h"
#include "server/signing_keys.h"
#include "server/store/store.h"
#include "server/token.h"

namespace bootgate::service {

struct ServiceContext {
  v1::ServerConfig config;  // with defaults filled in
  std::unique_ptr<server::store::Store> store;
  std::unique_ptr<server::TokenService> tokens;
  std::unique_ptr<server::KeySet> signing_keys;
  std::unique_ptr<PolicyHolder> policies;
  std::unique_ptr<Metrics> metrics;
  // Declared before placement: the hub's timer calls it until the hub is gone.
  std::unique_ptr<Notifier> notifier;
  std::unique_ptr<PlacementHub> placement;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<RetentionRunner> retention;  // declared after store: stopped before it closes
  std::unique_ptr<EnrollmentTrustHolder> enrollment;  // replaced on SIGHUP
  std::unique_ptr<AkCache> aks = std::make_unique<AkCache>();
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_SERVICE_CONTEXT_H_
