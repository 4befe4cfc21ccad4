// Stored-attestation retention in bootgated: Store::ApplyRetention with the configured policy
// (config.proto RetentionConfig) on a background thread, once at start and then every interval,
// each pass logged as one line:
//   ts=... event=retention hosts=2 attestations=1400 event_logs=3 ms=41
// or event=retention_failed msg="..." (the next pass tries again). Replicas may each run it:
// the store makes concurrent passes safe.
#ifndef BOOTGATE_SERVER_BOOTGATED_RETENTION_RUNNER_H_
#define BOOTGATE_SERVER_BOOTGATED_RETENTION_RUNNER_H_

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootgate/v1/config.pb.h"
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
  // Stops the thread, waiting for a pass in progress.
  ~RetentionRunner();
  RetentionRunner(const RetentionRunner&) = delete;
  RetentionRunner& operator=(const RetentionRunner&) = delete;

  // One pass as of `now`, logged; what the thread runs.
  absl::StatusOr<server::store::RetentionResult> RunOnce(absl::Time now);

 private:
  void Loop();

  server::store::Store* const store_;
  const server::store::RetentionPolicy policy_;
  const absl::Duration interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after every other member is ready
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_RETENTION_RUNNER_H_
