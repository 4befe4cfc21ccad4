// Stored-attestation retention in bootgated: Store::ApplyRetention with the configured policy
// (config.proto RetentionConfig) on a background thread, once at start and then every interval,
// each pass logged as one line:
//   ts=... event=retention hosts=2 attestations=1400 event_logs=3 ms=41
// or event=retention_failed msg="..." (the next pass tries again). Replicas may each run it:
// the store makes concurrent passes safe.
#ifndef BOOTGATE_SERVER_BOOTGATED_RETENTION_RUNNER_H_
#define BOOTGATE_SERVER_BOOTGATED_RETENTION_RUNNER_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootgate/v1/config.pb.h"
#include "server/bootgated/periodic_task.h"
#include "server/store/store.h"

namespace bootgate::service {

// The store's policy from a RetentionConfig with its defaults filled in (WithDefaults).
server::store::RetentionPolicy RetentionPolicyFrom(const v1::RetentionConfig& config);

class RetentionRunner {
 public:
  // Starts the thread. `store` must outlive the runner. An interval under one second is one
  // second.
  RetentionRunner(server::store::Store* store, server::store::RetentionPolicy policy,
                  absl::Duration interval);
  // Stops the thread, waiting for a pass in progress (PeriodicTask).
  RetentionRunner(const RetentionRunner&) = delete;
  RetentionRunner& operator=(const RetentionRunner&) = delete;

  // One pass as of `now`, logged; what the thread runs.
  absl::StatusOr<server::store::RetentionResult> RunOnce(absl::Time now);

 private:
  server::store::Store* const store_;
  const server::store::RetentionPolicy policy_;
  PeriodicTask passes_;  // last: starts after every other member is ready, stops first
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_RETENTION_RUNNER_H_
