#include "cli/remote_output.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "proto/tier_names.h"

namespace bootgate::cli {
namespace {

template <typename T>
std::string OrDash(bool has, T value) {
  return has ? absl::StrCat(value) : "-";
}

std::string Eligibility(bool eligible) {
  return eligible ? "placement eligible" : "NOT placement eligible";
}

std::string DurationText(const google::protobuf::Duration& d) {
  const absl::Duration age = absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
  // Sub-millisecond digits are noise to a person reading an age.
  return absl::FormatDuration(
      absl::Trunc(age, age < absl::Seconds(1) ? absl::Milliseconds(1) : absl::Seconds(1)));
}

std::string SummaryLine(const v1::AttestationSummary& s) {
  return absl::StrFormat(
      "%s  host %s  %s, %s  issued %s  policy %s %s  %u finding(s)", s.attestation_id(),
      s.host_id(), TierText(s.tier()), s.placement_eligible() ? "eligible" : "not eligible",
      FormatTime(s.issued_at()), s.policy_name(), s.policy_version(), s.finding_count());
}

std::string PlacementReasonText(v1::PlacementReason reason) {
  switch (reason) {
    case v1::PLACEMENT_REASON_ELIGIBLE:
      return "latest verdict eligible and fresh";
    case v1::PLACEMENT_REASON_NEVER_ATTESTED:
      return "never attested";
    case v1::PLACEMENT_REASON_CONTRAINDICATED:
      return "latest verdict contraindicated";
    case v1::PLACEMENT_REASON_EXPIRED:
      return "latest verdict expired";
    default:
      return "unspecified";
  }
}

std::string OrNone(const std::string& s) { return s.empty() ? "-" : s; }

std::string HostStatus(const v1::Host& h) {
  return absl::StrCat(h.revoked() ? "REVOKED" : "active",
                      h.reenroll_allowed() ? ", re-enrollment allowed" : "",
                      h.open_rollback().empty() ? "" : ", TPM ROLLBACK");
}

// The first 16 hex digits: enough to tell keys apart in a table.
std::string FingerprintPrefix(const std::string& fingerprint) {
  return fingerprint.empty() ? "-" : fingerprint.substr(0, 16);
}

// A free-text field (an audit reason) on one table row.
std::string OneLine(const std::string& text) {
  if (text.empty()) return "-";
  std::string out = text;
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out;
}

}  // namespace

std::string ProtoJson(const google::protobuf::Message& message, bool compact) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = !compact;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) {
    return "{}\n";  // only for messages with invalid UTF-8 in strings, which the server never sends
  }
  if (out.empty() || out.back() != '\n') out.push_back('\n');
  return out;
}

std::string TierText(v1::Tier tier) {
  const std::string name = v1::TierName(tier);
  return name.empty() ? "unspecified" : name;
}

std::string FormatTime(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

std::string FindingsTable(const google::protobuf::RepeatedPtrField<v1::Finding>& findings) {
  if (findings.empty()) return "";
  std::string out = absl::StrFormat("%-12s %-4s %-6s %-16s %-28s %s\n", "LAYER", "PCR", "EVENT",
                                    "SEVERITY", "CODE", "MESSAGE");
  for (const v1::Finding& f : findings) {
    const std::string severity =
        f.has_waived_by() ? absl::StrCat("waived:", f.waived_by()) : f.severity();
    absl::StrAppend(&out, absl::StrFormat("%-12s %-4s %-6s %-16s %-28s %s\n", f.layer(),
                                          OrDash(f.has_pcr(), f.pcr()),
                                          OrDash(f.has_event_index(), f.event_index()), severity,
                                          f.code(), f.message()));
  }
  bool header = false;
  for (const v1::Finding& f : findings) {
    if (f.hint().empty()) continue;
    if (!header) absl::StrAppend(&out, "\nhints:\n");
    header = true;
    absl::StrAppend(&out, "  ", f.code(),
                    f.has_event_index() ? absl::StrCat(" (event ", f.event_index(), ")") : "", ": ",
                    f.hint(), "\n");
  }
  return out;
}

std::string VerdictText(const v1::Verdict& v) {
  std::string out = absl::StrFormat(
      "host %s: %s, %s\npolicy %s version %s, group %s\nissued %s, expires %s\n",
      v.host_id().empty() ? "(no host id)" : v.host_id(), TierText(v.tier()),
      Eligibility(v.placement_eligible()), v.policy_name().empty() ? "(none)" : v.policy_name(),
      v.policy_version().empty() ? "-" : v.policy_version(),
      v.group().empty() ? "(none)" : v.group(), FormatTime(v.issued_at()),
      FormatTime(v.expires_at()));
  if (!v.attestation_id().empty()) absl::StrAppend(&out, "attestation ", v.attestation_id(), "\n");
  if (!v.reappraisal_of().empty()) {
    absl::StrAppend(&out, "re-appraisal of attestation ", v.reappraisal_of(),
                    ": its evidence judged again when policy version ",
                    v.policy_version().empty() ? "-" : v.policy_version(),
                    " was put in use (no new quote)\n");
  }
  if (!v.exceptions_used().empty()) {
    absl::StrAppend(&out, "exceptions used: ", absl::StrJoin(v.exceptions_used(), ", "), "\n");
  }
  if (v.findings().empty()) {
    absl::StrAppend(&out, "no findings\n");
  } else {
    absl::StrAppend(&out, "\n", FindingsTable(v.findings()));
  }
  return out;
}

std::string HostText(const v1::Host& h) {
  std::string out =
      absl::StrFormat("host %s\ngroup %s\ntrust path %s\nstatus %s\nak sha256 %s\nek sha256 %s\n",
                      h.host_id(), h.group().empty() ? "(none)" : h.group(), OrNone(h.trust_path()),
                      HostStatus(h), h.ak_fingerprint(),
                      h.ek_fingerprint().empty() ? "(none: no TPM binding)" : h.ek_fingerprint());
  absl::StrAppend(&out, "registered ", FormatTime(h.registered_at()),
                  h.registered_by().empty() ? "" : absl::StrCat(" by ", h.registered_by()), "\n");
  absl::StrAppend(&out, "last attestation ",
                  h.last_attestation_id().empty() ? "(never attested)" : h.last_attestation_id(),
                  "\n");
  if (h.has_status_changed_at() || !h.status_changed_by().empty()) {
    absl::StrAppend(&out, "status changed ", FormatTime(h.status_changed_at()), " by ",
                    OrNone(h.status_changed_by()),
                    h.status_reason().empty() ? "" : absl::StrCat(": ", h.status_reason()), "\n");
  }
  if (!h.open_rollback().empty()) {
    absl::StrAppend(&out, "TPM rollback (unacknowledged: `bootgate host ack-rollback`) ",
                    h.open_rollback(), "\n");
  }
  return out;
}

std::string HostListTable(const v1::ListHostsResponse& list) {
  if (list.hosts().empty()) return "no hosts\n";
  int host_width = 4;
  for (const v1::Host& h : list.hosts()) {
    host_width = std::max(host_width, static_cast<int>(h.host_id().size()));
  }
  constexpr char kRow[] = "%-*s %-16s %-28s %-16s %s\n";
  std::string out =
      absl::StrFormat(kRow, host_width, "HOST", "TRUST PATH", "STATUS", "EK SHA256", "AK SHA256");
  for (const v1::Host& h : list.hosts()) {
    absl::StrAppend(&out, absl::StrFormat(kRow, host_width, h.host_id(), OrNone(h.trust_path()),
                                          HostStatus(h), FingerprintPrefix(h.ek_fingerprint()),
                                          FingerprintPrefix(h.ak_fingerprint())));
  }
  return out;
}

std::string AuditTable(const google::protobuf::RepeatedPtrField<v1::AuditRecord>& records) {
  if (records.empty()) return "no audit records\n";
  int actor_width = 5, action_width = 6, host_width = 4;
  std::vector<std::string> actors;
  for (const v1::AuditRecord& r : records) {
    actors.push_back(r.role().empty() ? OrNone(r.actor())
                                      : absl::StrCat(OrNone(r.actor()), "(", r.role(), ")"));
    actor_width = std::max(actor_width, static_cast<int>(actors.back().size()));
    action_width = std::max(action_width, static_cast<int>(r.action().size()));
    host_width = std::max(host_width, static_cast<int>(r.host_id().size()));
  }
  constexpr char kRow[] = "%-20s %-*s %-*s %-*s %-8s %s\n";
  std::string out = absl::StrFormat(kRow, "TIME", actor_width, "ACTOR", action_width, "ACTION",
                                    host_width, "HOST", "OUTCOME", "REASON");
  for (int i = 0; i < records.size(); ++i) {
    const v1::AuditRecord& r = records[i];
    absl::StrAppend(&out,
                    absl::StrFormat(kRow, FormatTime(r.at()), actor_width, actors[i], action_width,
                                    r.action(), host_width, r.host_id().empty() ? "-" : r.host_id(),
                                    r.outcome(), OneLine(r.reason())));
  }
  return out;
}

std::string PlacementChangeLine(const v1::PlacementChange& c) {
  const v1::PlacementStatus& s = c.status();
  std::string kind;
  switch (c.kind()) {
    case v1::PlacementChange::KIND_INITIAL:
      kind = "initial";
      break;
    case v1::PlacementChange::KIND_NEW_VERDICT:
      kind = "new-verdict";
      break;
    case v1::PlacementChange::KIND_EXPIRED:
      kind = "expired";
      break;
    case v1::PlacementChange::KIND_POLICY:
      kind = "policy";
      break;
    default:
      kind = "unspecified";
      break;
  }
  const auto name = [](bool eligible) { return eligible ? "eligible" : "NOT eligible"; };
  const std::string eligibility =
      c.kind() == v1::PlacementChange::KIND_INITIAL || c.previously_eligible() == s.eligible()
          ? name(s.eligible())
          : absl::StrCat(name(c.previously_eligible()), " -> ", name(s.eligible()));
  std::string out = absl::StrFormat("%s %s %s: %s (%s)", FormatTime(c.changed_at()), s.host_id(),
                                    kind, eligibility, PlacementReasonText(s.reason()));
  if (s.has_verdict()) {
    absl::StrAppend(&out, ", verdict ", TierText(s.verdict().tier()),
                    s.verdict().attestation_id().empty()
                        ? ""
                        : absl::StrCat(" ", s.verdict().attestation_id()));
  }
  absl::StrAppend(&out, "\n");
  return out;
}

std::string PlacementText(const v1::PlacementStatus& s) {
  std::string out =
      absl::StrFormat("%s: %s (%s)", s.host_id(), s.eligible() ? "eligible" : "NOT eligible",
                      PlacementReasonText(s.reason()));
  if (s.has_verdict()) absl::StrAppend(&out, ", verdict age ", DurationText(s.age()));
  absl::StrAppend(&out, "\n");
  if (s.has_verdict()) absl::StrAppend(&out, "\n", VerdictText(s.verdict()));
  return out;
}

std::string AttestationListTable(const v1::ListAttestationsResponse& list) {
  if (list.attestations().empty()) return "no attestations\n";
  // The id column is as wide as the longest id (a store may number them or use UUIDs).
  int id_width = 2;
  for (const v1::AttestationSummary& s : list.attestations()) {
    id_width = std::max(id_width, static_cast<int>(s.attestation_id().size()));
  }
  std::string out = absl::StrFormat("%-*s %-28s %-16s %-15s %-8s %-20s %s\n", id_width, "ID",
                                    "HOST", "GROUP", "TIER", "ELIGIBLE", "ISSUED", "FINDINGS");
  for (const v1::AttestationSummary& s : list.attestations()) {
    absl::StrAppend(
        &out, absl::StrFormat("%-*s %-28s %-16s %-15s %-8s %-20s %u%s\n", id_width,
                              s.attestation_id(), s.host_id(), s.group().empty() ? "-" : s.group(),
                              TierText(s.tier()), s.placement_eligible() ? "yes" : "no",
                              FormatTime(s.issued_at()), s.finding_count(),
                              s.reappraisal_of().empty()
                                  ? ""
                                  : absl::StrCat("  re-appraisal of ", s.reappraisal_of(),
                                                 " under policy ", s.policy_version())));
  }
  if (!list.next_page_token().empty()) {
    absl::StrAppend(&out, "(more: --page-token ", list.next_page_token(), ")\n");
  }
  return out;
}

std::string AttestationRecordText(const v1::AttestationRecord& r) {
  std::string out = VerdictText(r.verdict());
  const v1::Evidence& e = r.evidence();
  absl::StrAppend(
      &out, "\nevidence received ", FormatTime(r.received_at()), "\n",
      absl::StrFormat("  quote %u bytes, signature %u bytes, pcrs %u bytes, event log %u bytes\n",
                      e.quote().size(), e.signature().size(), e.pcrs().size(),
                      e.event_log().size()),
      "  ak sha256 ", e.ak_fingerprint(), "\n",
      absl::StrFormat("  tpm clock %u ms, reset count %u, restart count %u\n", e.clock(),
                      e.reset_count(), e.restart_count()));
  return out;
}

std::string AttestationDiffText(const v1::AttestationDiff& d) {
  std::string out = absl::StrCat("a: ", SummaryLine(d.a()), "\nb: ", SummaryLine(d.b()), "\n\n");
  for (const v1::LayerDiff& layer : d.layers()) {
    absl::StrAppend(
        &out, absl::StrFormat("%-12s %s\n", layer.layer(), layer.changed() ? "CHANGED" : "same"));
    for (const v1::EventChange& e : layer.events()) {
      absl::StrAppend(&out,
                      absl::StrFormat("  PCR %-2u %s event %s -> %s\n", e.pcr(), e.event_type(),
                                      OrDash(e.has_event_index_a(), e.event_index_a()),
                                      OrDash(e.has_event_index_b(), e.event_index_b())),
                      "    a: ", e.description_a().empty() ? "(absent)" : e.description_a(), "\n",
                      "    b: ", e.description_b().empty() ? "(absent)" : e.description_b(), "\n");
      if (!e.detail().empty()) absl::StrAppend(&out, "    ", e.detail(), "\n");
    }
  }
  if (!d.findings_added().empty()) {
    absl::StrAppend(&out, "\nfindings only in b:\n", FindingsTable(d.findings_added()));
  }
  if (!d.findings_removed().empty()) {
    absl::StrAppend(&out, "\nfindings only in a:\n", FindingsTable(d.findings_removed()));
  }
  return out;
}

std::string DryRunText(const v1::DryRunResponse& r) {
  std::string out = absl::StrFormat("%u host(s) evaluated, %d verdict(s) would change\n",
                                    r.hosts_evaluated(), r.changes_size());
  if (!r.hosts_without_evidence().empty()) {
    absl::StrAppend(
        &out, "never attested (skipped): ", absl::StrJoin(r.hosts_without_evidence(), ", "), "\n");
  }
  for (const v1::VerdictChange& c : r.changes()) {
    absl::StrAppend(
        &out, "\n",
        absl::StrFormat("%s (attestation %s): %s, %s -> %s, %s%s\n", c.host_id(),
                        c.attestation_id(), TierText(c.current().tier()),
                        c.current().placement_eligible() ? "eligible" : "not eligible",
                        TierText(c.candidate().tier()),
                        c.candidate().placement_eligible() ? "eligible" : "not eligible",
                        c.eligibility_changed() ? "  [ELIGIBILITY CHANGES]" : ""));
    if (!c.findings_added().empty()) {
      absl::StrAppend(&out, "findings only under the candidate:\n",
                      FindingsTable(c.findings_added()));
    }
    if (!c.findings_removed().empty()) {
      absl::StrAppend(&out, "findings only under the current policy:\n",
                      FindingsTable(c.findings_removed()));
    }
    // Same findings, another waiver (or tier): the candidate's findings say which.
    if (c.findings_added().empty() && c.findings_removed().empty() &&
        !c.candidate().findings().empty()) {
      absl::StrAppend(&out, "candidate findings:\n", FindingsTable(c.candidate().findings()));
    }
  }
  return out;
}

}  // namespace bootgate::cli
