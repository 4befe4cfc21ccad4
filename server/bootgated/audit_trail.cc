#include "server/bootgated/audit_trail.h"

#include "server/bootgated/access.h"
#include "server/bootgated/request_log.h"

namespace bootgate::service {

void RecordAudit(ServiceContext& context, const Caller& caller, const AuditEntry& entry,
                 absl::Time at) {
  server::store::AuditRecord record;
  record.at = at;
  record.actor = caller.identity;
  record.role = caller.role_name();
  record.action = entry.action;
  record.host_id = entry.host_id;
  record.outcome = entry.outcome;
  record.reason = entry.reason;
  record.details = entry.details;
  auto stored = context.store->AppendAudit(record);
  if (stored.ok()) return;
  context.metrics->AuditWriteFailed();
  LogEvent("audit-write-failed", {{"error", stored.status().message()},
                                  {"actor", record.actor},
                                  {"role", record.role},
                                  {"action", record.action},
                                  {"host", record.host_id},
                                  {"outcome", record.outcome},
                                  {"reason", record.reason},
                                  {"details", record.details}});
}

}  // namespace bootgate::service
