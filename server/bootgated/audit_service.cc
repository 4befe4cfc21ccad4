#include "server/bootgated/audit_service.h"

#include <algorithm>

#include "server/bootgated/convert.h"
#include "server/bootgated/serve.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::service {

absl::StatusOr<v1::ListAuditResponse> ListAudit(ServiceContext& context,
                                                const v1::ListAuditRequest& r) {
  server::store::AuditFilter filter;
  filter.host_id = r.host_id();
  filter.actor = r.actor();
  filter.action = r.action();
  filter.outcome = r.outcome();
  if (r.has_since()) filter.since = FromTimestamp(r.since());
  filter.page_size =
      static_cast<int>(std::min<uint32_t>(r.page_size(), server::store::AuditFilter::kMaxPageSize));
  filter.page_token = r.page_token();
  ASSIGN_OR_RETURN(server::store::AuditPage page, context.store->ListAudit(filter));
  v1::ListAuditResponse out;
  for (const server::store::AuditRecord& a : page.records) {
    v1::AuditRecord* o = out.add_records();
    o->set_id(a.id);
    *o->mutable_at() = ToTimestamp(a.at);
    o->set_actor(a.actor);
    o->set_role(a.role);
    o->set_action(a.action);
    o->set_host_id(a.host_id);
    o->set_outcome(a.outcome);
    o->set_reason(a.reason);
    o->set_details(a.details);
  }
  out.set_next_page_token(page.next_page_token);
  return out;
}

grpc::ServerUnaryReactor* AuditService::List(grpc::CallbackServerContext* call,
                                             const v1::ListAuditRequest* request,
                                             v1::ListAuditResponse* response) {
  static constexpr MethodSpec kList{"Audit.List", Permission::kOperate};
  return ServeUnary(
      context_, call, kList, "", request, response,
      [](const Call& c, const v1::ListAuditRequest& r) { return ListAudit(c.context, r); });
}

}  // namespace bootgate::service
