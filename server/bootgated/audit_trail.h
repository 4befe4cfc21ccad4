// Writes audit records (server/store AuditRecord): who did or tried what, to which host, and
// why. A record that cannot be stored is logged on stderr with everything it held: the call it
// describes has already happened or been refused, so the failure is not the caller's.
#ifndef BOOTGATE_SERVER_BOOTGATED_AUDIT_TRAIL_H_
#define BOOTGATE_SERVER_BOOTGATED_AUDIT_TRAIL_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

struct Caller;

// Audit outcomes.
inline constexpr char kAuditOk[] = "ok";
inline constexpr char kAuditDenied[] = "denied";    // the caller may not make this call
inline constexpr char kAuditRefused[] = "refused";  // allowed to call, but the request failed

struct AuditEntry {
  std::string action;   // "policy.put", "host.revoke", "Attestation.Attest", ...
  std::string host_id;  // "" when not about one host
  std::string outcome;  // kAuditOk, kAuditDenied, kAuditRefused
  std::string reason;   // the caller's stated reason, or why the call was refused
  std::string details;  // specifics, as "key=value ..." text
};

void RecordAudit(ServiceContext& context, const Caller& caller, const AuditEntry& entry,
                 absl::Time at);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_AUDIT_TRAIL_H_
