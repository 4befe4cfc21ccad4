#include "server/bootgated/convert.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::service {

using nlohmann::json;

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  ts.set_seconds(micros / 1000000 - (micros % 1000000 < 0 ? 1 : 0));
  ts.set_nanos(static_cast<int32_t>(((micros % 1000000) + 1000000) % 1000000 * 1000));
  return ts;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

google::protobuf::Duration ToDurationProto(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  out.set_seconds(nanos / 1000000000);
  out.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return out;
}

v1::Tier TierToProto(appraisal::Tier tier) {
  switch (tier) {
    case appraisal::Tier::kAffirming:
      return v1::TIER_AFFIRMING;
    case appraisal::Tier::kWarning:
      return v1::TIER_WARNING;
    case appraisal::Tier::kContraindicated:
      return v1::TIER_CONTRAINDICATED;
  }
  return v1::TIER_UNSPECIFIED;
}

v1::Finding FindingToProto(const appraisal::Finding& f) {
  v1::Finding out;
  out.set_code(f.code);
  out.set_layer(std::string(appraisal::LayerName(f.layer)));
  out.set_severity(std::string(appraisal::SeverityName(f.severity)));
  if (f.pcr) out.set_pcr(*f.pcr);
  if (f.event_index) out.set_event_index(*f.event_index);
  out.set_seen(f.seen);
  out.set_allowed(f.allowed);
  out.set_message(f.message);
  out.set_hint(f.hint);
  if (f.waived_by) out.set_waived_by(*f.waived_by);
  return out;
}

std::string DetailsToJson(const VerdictDetails& details) {
  json findings = json::array();
  for (const v1::Finding& f : details.findings) {
    json j = {{"code", f.code()}, {"layer", f.layer()},     {"severity", f.severity()},
              {"seen", f.seen()}, {"allowed", f.allowed()}, {"message", f.message()},
              {"hint", f.hint()}};
    if (f.has_pcr()) j["pcr"] = f.pcr();
    if (f.has_event_index()) j["event_index"] = f.event_index();
    if (f.has_waived_by()) j["waived_by"] = f.waived_by();
    findings.push_back(std::move(j));
  }
  json doc = {{"findings", std::move(findings)},
              {"policy_version", details.policy_version},
              {"exceptions_used", details.exceptions_used},
              {"qualifying_data", bytes::ToHex(details.qualifying_data)}};
  if (!details.reappraisal_of.empty()) doc["reappraisal_of"] = details.reappraisal_of;
  return doc.dump();
}

namespace {

// The string member `key` of `j` ("" when absent). json::value() would throw type_error for a
// member of another type, and an exception out of a handler ends the process: a wrong type is
// InvalidArgument like any other JSON that is not ours.
absl::StatusOr<std::string> StringMember(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return std::string();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("stored verdict details: \"", key, "\" is not a string"));
  }
  return it->get<std::string>();
}

}  // namespace

absl::StatusOr<VerdictDetails> DetailsFromJson(const std::string& text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("findings") || !doc["findings"].is_array()) {
    return absl::InvalidArgumentError("stored verdict details are not bootgate's JSON");
  }
  VerdictDetails d;
  for (const json& j : doc["findings"]) {
    if (!j.is_object()) return absl::InvalidArgumentError("stored finding is not an object");
    v1::Finding f;
    ASSIGN_OR_RETURN(*f.mutable_code(), StringMember(j, "code"));
    ASSIGN_OR_RETURN(*f.mutable_layer(), StringMember(j, "layer"));
    ASSIGN_OR_RETURN(*f.mutable_severity(), StringMember(j, "severity"));
    ASSIGN_OR_RETURN(*f.mutable_seen(), StringMember(j, "seen"));
    ASSIGN_OR_RETURN(*f.mutable_allowed(), StringMember(j, "allowed"));
    ASSIGN_OR_RETURN(*f.mutable_message(), StringMember(j, "message"));
    ASSIGN_OR_RETURN(*f.mutable_hint(), StringMember(j, "hint"));
    if (j.contains("pcr") && j["pcr"].is_number_unsigned()) f.set_pcr(j["pcr"].get<uint32_t>());
    if (j.contains("event_index") && j["event_index"].is_number_unsigned()) {
      f.set_event_index(j["event_index"].get<uint32_t>());
    }
    if (j.contains("waived_by") && j["waived_by"].is_string()) f.set_waived_by(j["waived_by"]);
    d.findings.push_back(std::move(f));
  }
  ASSIGN_OR_RETURN(d.policy_version, StringMember(doc, "policy_version"));
  if (doc.contains("exceptions_used") && doc["exceptions_used"].is_array()) {
    for (const json& e : doc["exceptions_used"]) {
      if (e.is_string()) d.exceptions_used.push_back(e.get<std::string>());
    }
  }
  ASSIGN_OR_RETURN(const std::string qualifying_data, StringMember(doc, "qualifying_data"));
  auto nonce = bytes::FromHex(qualifying_data);
  if (nonce.ok()) d.qualifying_data = *std::move(nonce);
  ASSIGN_OR_RETURN(d.reappraisal_of, StringMember(doc, "reappraisal_of"));
  return d;
}

absl::StatusOr<v1::Verdict> VerdictFromRecord(const server::store::Attestation& r) {
  auto details = DetailsFromJson(r.findings_json);
  if (!details.ok()) return details.status();
  v1::Verdict v;
  v.set_attestation_id(r.token_id);
  v.set_tier(v1::TierFromName(r.tier));
  v.set_placement_eligible(r.placement_eligible);
  v.set_policy_name(r.policy_name);
  v.set_policy_version(details->policy_version);
  *v.mutable_issued_at() = ToTimestamp(r.received_at);
  *v.mutable_expires_at() = ToTimestamp(r.expires_at);
  for (v1::Finding& f : details->findings) *v.add_findings() = std::move(f);
  v.set_jwt(r.verdict_jwt);
  v.set_host_id(r.host_id);
  v.set_group(r.group);
  for (std::string& e : details->exceptions_used) v.add_exceptions_used(std::move(e));
  v.set_reappraisal_of(details->reappraisal_of);
  return v;
}

absl::StatusOr<v1::AttestationSummary> SummaryFromRecord(const server::store::Attestation& r) {
  auto details = DetailsFromJson(r.findings_json);
  if (!details.ok()) return details.status();
  v1::AttestationSummary s;
  s.set_attestation_id(r.token_id);
  s.set_host_id(r.host_id);
  s.set_group(r.group);
  s.set_tier(v1::TierFromName(r.tier));
  s.set_placement_eligible(r.placement_eligible);
  s.set_policy_name(r.policy_name);
  s.set_policy_version(details->policy_version);
  *s.mutable_issued_at() = ToTimestamp(r.received_at);
  *s.mutable_expires_at() = ToTimestamp(r.expires_at);
  s.set_finding_count(static_cast<uint32_t>(details->findings.size()));
  s.set_reappraisal_of(details->reappraisal_of);
  return s;
}

absl::Status CheckAttestationId(const std::string& id, const char* field) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  const bool hex =
      id.size() == kAttestationIdLength && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      });
  if (!hex) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " \"", id.substr(0, 80), "\" is not an attestation id (",
                     kAttestationIdLength, " lowercase hex digits, as Verdict.attestation_id)"));
  }
  return absl::OkStatus();
}

}  // namespace bootgate::service
