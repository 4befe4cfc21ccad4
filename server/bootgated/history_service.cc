#include "server/bootgated/history_service.h"

#include "absl/strings/str_cat.h"
#include "server/bootgated/boot_diff.h"
#include "server/bootgated/convert.h"
#include "server/bootgated/findings_diff.h"
#include "server/bootgated/request_log.h"
#include "server/bootgated/serve.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::service {
namespace {

bool Wanted(const v1::ListAttestationsRequest& r, const server::store::Attestation& a) {
  if (r.has_placement_eligible() && r.placement_eligible() != a.placement_eligible) return false;
  if (r.tiers().empty()) return true;
  for (int t : r.tiers()) {
    if (v1::TierName(static_cast<v1::Tier>(t)) == a.tier) return true;
  }
  return false;
}

absl::StatusOr<server::store::Attestation> Load(ServiceContext& context, const std::string& id,
                                                const char* field) {
  RETURN_IF_ERROR(CheckAttestationId(id, field));
  auto record = context.store->GetAttestationByToken(id);
  if (absl::IsNotFound(record.status())) {
    return absl::NotFoundError(absl::StrCat(field, ": no attestation ", id));
  }
  return record;
}

}  // namespace

const MethodSpec kHistoryListMethod{"History.List", Permission::kOperate};
const MethodSpec kHistoryGetMethod{"History.Get", Permission::kOperate};

absl::StatusOr<v1::ListAttestationsResponse> ListAttestations(
    ServiceContext& context, const v1::ListAttestationsRequest& r) {
  if (!r.host_id().empty() && !r.group().empty()) {
    return absl::InvalidArgumentError("host_id and group are exclusive: set one");
  }
  server::store::AttestationFilter filter;
  filter.host_id = r.host_id();
  filter.group = r.group();
  if (r.has_since()) filter.since = FromTimestamp(r.since());
  if (r.has_until()) filter.until = FromTimestamp(r.until());
  if (filter.since > filter.until) return absl::InvalidArgumentError("since is after until");
  if (r.tiers_size() == 1) filter.tier = v1::TierName(r.tiers(0));
  filter.page_size = r.page_size() == 0 ? 100 : static_cast<int>(std::min(r.page_size(), 1000u));
  filter.page_token = r.page_token();
  auto page = context.store->ListAttestations(filter);
  if (!page.ok()) return page.status();
  v1::ListAttestationsResponse out;
  for (const server::store::Attestation& a : page->attestations) {
    if (!Wanted(r, a)) continue;
    ASSIGN_OR_RETURN(*out.add_attestations(), SummaryFromRecord(a));
  }
  out.set_next_page_token(page->next_page_token);
  return out;
}

absl::StatusOr<v1::AttestationRecord> GetAttestation(ServiceContext& context,
                                                     const std::string& attestation_id) {
  ASSIGN_OR_RETURN(server::store::Attestation a, Load(context, attestation_id, "attestation_id"));
  v1::AttestationRecord out;
  ASSIGN_OR_RETURN(*out.mutable_verdict(), VerdictFromRecord(a));
  ASSIGN_OR_RETURN(VerdictDetails details, DetailsFromJson(a.findings_json));
  v1::Evidence* e = out.mutable_evidence();
  e->set_quote(a.evidence.quote_msg);
  e->set_signature(a.evidence.quote_sig);
  e->set_pcrs(a.evidence.quote_pcrs);
  e->set_event_log(a.evidence.event_log);
  e->set_qualifying_data(
      std::string(details.qualifying_data.begin(), details.qualifying_data.end()));
  e->set_ak_fingerprint(a.ak_name);
  e->set_clock(a.clock_info.clock);
  e->set_reset_count(a.clock_info.reset_count);
  e->set_restart_count(a.clock_info.restart_count);
  *out.mutable_received_at() = ToTimestamp(a.received_at);
  return out;
}

absl::StatusOr<v1::AttestationDiff> DiffAttestations(ServiceContext& context,
                                                     const v1::DiffAttestationsRequest& r) {
  ASSIGN_OR_RETURN(server::store::Attestation a, Load(context, r.a(), "a"));
  ASSIGN_OR_RETURN(server::store::Attestation b, Load(context, r.b(), "b"));
  ASSIGN_OR_RETURN(v1::Verdict va, VerdictFromRecord(a));
  ASSIGN_OR_RETURN(v1::Verdict vb, VerdictFromRecord(b));
  v1::AttestationDiff out;
  ASSIGN_OR_RETURN(*out.mutable_a(), SummaryFromRecord(a));
  ASSIGN_OR_RETURN(*out.mutable_b(), SummaryFromRecord(b));
  for (v1::LayerDiff& layer : DiffBootChains(a.evidence.event_log, b.evidence.event_log)) {
    *out.add_layers() = std::move(layer);
  }
  FindingsDiff findings = DiffFindings(va.findings(), vb.findings());
  for (v1::Finding& f : findings.added) *out.add_findings_added() = std::move(f);
  for (v1::Finding& f : findings.removed) *out.add_findings_removed() = std::move(f);
  return out;
}

grpc::ServerUnaryReactor* HistoryService::List(grpc::CallbackServerContext* call,
                                               const v1::ListAttestationsRequest* request,
                                               v1::ListAttestationsResponse* response) {
  return ServeUnary(context_, call, kHistoryListMethod, request->host_id(), request, response,
                    [](const Call& c, const v1::ListAttestationsRequest& r) {
                      return ListAttestations(c.context, r);
                    });
}

grpc::ServerUnaryReactor* HistoryService::Get(grpc::CallbackServerContext* call,
                                              const v1::GetAttestationRequest* request,
                                              v1::AttestationRecord* response) {
  return ServeUnary(context_, call, kHistoryGetMethod, "", request, response,
                    [](const Call& c, const v1::GetAttestationRequest& r) {
                      return GetAttestation(c.context, r.attestation_id());
                    });
}

grpc::ServerUnaryReactor* HistoryService::Diff(grpc::CallbackServerContext* call,
                                               const v1::DiffAttestationsRequest* request,
                                               v1::AttestationDiff* response) {
  static constexpr MethodSpec kDiff{"History.Diff", Permission::kOperate};
  return ServeUnary(context_, call, kDiff, "", request, response,
                    [](const Call& c, const v1::DiffAttestationsRequest& r) {
                      return DiffAttestations(c.context, r);
                    });
}

}  // namespace bootgate::service
