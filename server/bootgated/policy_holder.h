// The active policy of one replica: the latest version pushed to the store (PolicyService.Put,
// by any replica), or else the config's policy_file, or none. A pushed policy always wins over
// the file, whichever is newer: once a policy was pushed, policy_file (even reloaded on SIGHUP)
// is only the fallback of a store that holds none. Cached, and re-read from the store at most
// once per refresh interval so that replicas converge without coordination.
#ifndef BOOTGATE_SERVER_BOOTGATED_POLICY_HOLDER_H_
#define BOOTGATE_SERVER_BOOTGATED_POLICY_HOLDER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bootgate/v1/policy.pb.h"
#include "server/store/store.h"

namespace bootgate::service {

// Every pushed policy is stored under this one store name: the store's version numbers are
// then the order of pushes, whatever the policies call themselves.
inline constexpr char kStorePolicyName[] = "active";

struct ActivePolicy {
  v1::Policy policy;
  int64_t store_version = 0;  // 0: from the config file, never pushed
  absl::Time stored_at = absl::UnixEpoch();
};

// Reads `path` (JSON or textproto by its extension) as the policy_file policy; null when `path`
// is empty. Errors name the file (NotFound, InvalidArgument with the parser's location).
absl::StatusOr<std::shared_ptr<const ActivePolicy>> LoadPolicyFile(const std::string& path);

class PolicyHolder {
 public:
  // `file_policy` may be null (no policy_file configured).
  PolicyHolder(server::store::Store* store, std::shared_ptr<const ActivePolicy> file_policy,
               absl::Duration refresh = absl::Seconds(1));

  // The active policy, or nullptr when there is none. Store errors keep the cached one.
  std::shared_ptr<const ActivePolicy> Current();

  // Validated policy -> stored as the next version and made active. ABORTED when
  // `expected_active_version` is set and differs from the active policy's version;
  // ALREADY_EXISTS when a stored policy already has this version string.
  absl::StatusOr<std::shared_ptr<const ActivePolicy>> Push(
      const v1::Policy& policy, const std::string& expected_active_version,
      const std::string& pushed_by);

  // Replaces the policy_file policy (SIGHUP; null: no policy_file). Active at once when no
  // policy was pushed; otherwise kept for the day the store holds none.
  void SetFilePolicy(std::shared_ptr<const ActivePolicy> file_policy);
  std::shared_ptr<const ActivePolicy> FilePolicy() const;

  // A stored version by its policy version string (newest first); NotFound when none.
  absl::StatusOr<std::shared_ptr<const ActivePolicy>> FindVersion(const std::string& version);

 private:
  absl::StatusOr<std::shared_ptr<const ActivePolicy>> LoadStored(std::optional<int64_t> version);

  server::store::Store* store_;
  const absl::Duration refresh_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const ActivePolicy> file_policy_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const ActivePolicy> current_ ABSL_GUARDED_BY(mu_);
  absl::Time last_refresh_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Mutex push_mu_;  // serialises this replica's pushes (the store orders replicas)
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_POLICY_HOLDER_H_
