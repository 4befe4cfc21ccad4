// The audit records of a policy change: one "policy.put" (who, the new version, why) and one
// "exception.grant" / "exception.remove" per exception the new version adds, changes or drops,
// with its owner, target, finding, expiry and compensating control.
#ifndef BOOTGATE_SERVER_BOOTGATED_POLICY_AUDIT_H_
#define BOOTGATE_SERVER_BOOTGATED_POLICY_AUDIT_H_

#include <string>

#include "absl/time/time.h"
#include "bootgate/v1/policy.pb.h"
#include "server/bootgated/access.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

// `previous` is the policy active before the change (nullptr when there was none).
void AuditPolicyChange(ServiceContext& context, const Caller& caller, const v1::Policy* previous,
                       const v1::Policy& pushed, int64_t store_version, const std::string& reason,
                       absl::Time now);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_POLICY_AUDIT_H_
