// Renderings of the host lifecycle, the audit log and placement changes.
#include "cli/remote_output.h"

#include <catch2/catch.hpp>

namespace bootgate::cli {
namespace {

const std::string kAk(64, 'a');
const std::string kEk = "0123456789abcdef" + std::string(48, 'e');

v1::Host EnrolledHost() {
  v1::Host h;
  h.set_host_id("host-a");
  h.set_group("good-host");
  h.set_trust_path("enrolled");
  h.set_ak_fingerprint(kAk);
  h.set_ek_fingerprint(kEk);
  h.mutable_registered_at()->set_seconds(1714564800);
  h.set_registered_by("host-a");
  return h;
}

TEST_CASE("a host shows its trust path, binding and status", "[cli_agent]") {
  std::string text = HostText(EnrolledHost());
  CHECK_THAT(text, Catch::StartsWith("host host-a\ngroup good-host\ntrust path enrolled\n"
                                     "status active\n"));
  CHECK_THAT(text, Catch::Contains("\nak sha256 " + kAk + "\n"));
  CHECK_THAT(text, Catch::Contains("\nek sha256 " + kEk + "\n"));
  CHECK_THAT(text, Catch::Contains("\nregistered 2024-05-01T12:00:00Z by host-a\n"));
  CHECK_THAT(text, Catch::Contains("\nlast attestation (never attested)\n"));
  CHECK_THAT(text, !Catch::Contains("status changed"));

  v1::Host revoked = EnrolledHost();
  revoked.set_revoked(true);
  revoked.set_reenroll_allowed(true);
  revoked.set_status_changed_by("alice");
  revoked.mutable_status_changed_at()->set_seconds(1714568400);
  revoked.set_status_reason("board replaced");
  text = HostText(revoked);
  CHECK_THAT(text, Catch::Contains("\nstatus REVOKED, re-enrollment allowed\n"));
  CHECK_THAT(text,
             Catch::EndsWith("status changed 2024-05-01T13:00:00Z by alice: board replaced\n"));

  v1::Host lab;
  lab.set_host_id("lab-1");
  lab.set_trust_path("admin-registered");
  CHECK_THAT(HostText(lab), Catch::Contains("\nek sha256 (none: no TPM binding)\n"));
  CHECK_THAT(HostText(lab), Catch::Contains("\nregistered -\n"));
}

TEST_CASE("host list: one row per host with fingerprint prefixes", "[cli_agent]") {
  v1::ListHostsResponse list;
  CHECK(HostListTable(list) == "no hosts\n");
  *list.add_hosts() = EnrolledHost();
  v1::Host* lab = list.add_hosts();
  lab->set_host_id("a-much-longer-host-name");
  lab->set_trust_path("admin-registered");
  lab->set_ak_fingerprint(std::string(64, 'b'));
  lab->set_revoked(true);
  const std::string table = HostListTable(list);
  CHECK_THAT(table, Catch::StartsWith("HOST                    TRUST PATH       STATUS"));
  CHECK_THAT(table, Catch::Contains("\nhost-a                  enrolled         active    "
                                    "                   0123456789abcdef aaaaaaaaaaaaaaaa\n"));
  CHECK_THAT(table, Catch::Contains("\na-much-longer-host-name admin-registered REVOKED   "
                                    "                   -                bbbbbbbbbbbbbbbb\n"));
}

TEST_CASE("audit records: time, actor(role), action, host, outcome, reason", "[cli_agent]") {
  google::protobuf::RepeatedPtrField<v1::AuditRecord> records;
  CHECK(AuditTable(records) == "no audit records\n");
  v1::AuditRecord* r = records.Add();
  r->mutable_at()->set_seconds(1714564800);
  r->set_actor("alice");
  r->set_role("admin");
  r->set_action("host.revoke");
  r->set_host_id("host-a");
  r->set_outcome("ok");
  r->set_reason("stolen\nlaptop");
  r = records.Add();
  r->mutable_at()->set_seconds(1714564700);
  r->set_actor("host-b");
  r->set_role("agent");
  r->set_action("Enrollment.Start");
  r->set_outcome("denied");
  const std::string table = AuditTable(records);
  CHECK_THAT(table, Catch::StartsWith("TIME                 ACTOR         ACTION           HOST   "
                                      "OUTCOME  REASON\n"));
  CHECK_THAT(table, Catch::Contains("\n2024-05-01T12:00:00Z alice(admin)  host.revoke      host-a "
                                    "ok       stolen laptop\n"));
  CHECK_THAT(table, Catch::Contains("\n2024-05-01T11:58:20Z host-b(agent) Enrollment.Start -      "
                                    "denied   -\n"));
}

TEST_CASE("a placement change is one line: when, who, what, before -> after", "[cli_agent]") {
  v1::PlacementChange c;
  c.set_kind(v1::PlacementChange::KIND_INITIAL);
  c.mutable_changed_at()->set_seconds(1714564800);
  c.mutable_status()->set_host_id("host-a");
  c.mutable_status()->set_reason(v1::PLACEMENT_REASON_NEVER_ATTESTED);
  CHECK(PlacementChangeLine(c) ==
        "2024-05-01T12:00:00Z host-a initial: NOT eligible (never attested)\n");

  c.set_kind(v1::PlacementChange::KIND_NEW_VERDICT);
  c.set_previously_eligible(false);
  c.mutable_status()->set_eligible(true);
  c.mutable_status()->set_reason(v1::PLACEMENT_REASON_ELIGIBLE);
  c.mutable_status()->mutable_verdict()->set_tier(v1::TIER_AFFIRMING);
  c.mutable_status()->mutable_verdict()->set_attestation_id("att-7");
  CHECK(PlacementChangeLine(c) ==
        "2024-05-01T12:00:00Z host-a new-verdict: NOT eligible -> eligible (latest verdict "
        "eligible and fresh), verdict affirming att-7\n");

  c.set_kind(v1::PlacementChange::KIND_EXPIRED);
  c.set_previously_eligible(true);
  c.mutable_status()->set_eligible(false);
  c.mutable_status()->set_reason(v1::PLACEMENT_REASON_EXPIRED);
  CHECK_THAT(PlacementChangeLine(c),
             Catch::StartsWith("2024-05-01T12:00:00Z host-a expired: eligible -> NOT eligible "
                               "(latest verdict expired)"));
}

TEST_CASE("a diff shows each changed event's text and the kernel arguments it changed",
          "[cli_agent]") {
  v1::AttestationDiff d;
  v1::LayerDiff* kernel = d.add_layers();
  kernel->set_layer("kernel");
  kernel->set_changed(true);
  v1::EventChange* added = kernel->add_events();
  added->set_pcr(8);
  added->set_event_type("EV_IPL");
  added->set_event_index_b(31);
  added->set_description_b("grub_cmd: echo hi (sha256 aa)");
  v1::EventChange* cmdline = kernel->add_events();
  cmdline->set_pcr(8);
  cmdline->set_event_type("EV_IPL");
  cmdline->set_event_index_a(33);
  cmdline->set_event_index_b(34);
  cmdline->set_description_a("kernel_cmdline: ro quiet (sha256 bb)");
  cmdline->set_description_b("kernel_cmdline: ro \"bootgate.note=a b\" (sha256 cc)");
  cmdline->set_detail("arguments added: bootgate.note=\"a b\"; arguments removed: quiet");
  const std::string text = AttestationDiffText(d);
  CHECK_THAT(text, Catch::Contains("kernel       CHANGED\n"
                                   "  PCR 8  EV_IPL event - -> 31\n"
                                   "    a: (absent)\n"
                                   "    b: grub_cmd: echo hi (sha256 aa)\n"
                                   "  PCR 8  EV_IPL event 33 -> 34\n"
                                   "    a: kernel_cmdline: ro quiet (sha256 bb)\n"
                                   "    b: kernel_cmdline: ro \"bootgate.note=a b\" (sha256 cc)\n"
                                   "    arguments added: bootgate.note=\"a b\"; arguments "
                                   "removed: quiet\n"));
}

TEST_CASE("a dry run shows the findings the candidate adds and removes", "[cli_agent]") {
  v1::DryRunResponse r;
  r.set_hosts_evaluated(1);
  v1::VerdictChange* c = r.add_changes();
  c->set_host_id("host-a");
  c->set_attestation_id("att-1");
  c->mutable_current()->set_tier(v1::TIER_CONTRAINDICATED);
  c->mutable_candidate()->set_tier(v1::TIER_AFFIRMING);
  c->mutable_candidate()->set_placement_eligible(true);
  c->set_eligibility_changed(true);
  v1::Finding* removed = c->add_findings_removed();
  removed->set_code("image-not-allowed");
  removed->set_layer("boot-loader");
  removed->set_severity("contraindicated");
  removed->set_message("grubx64.efi is not allowed");
  const std::string text = DryRunText(r);
  CHECK_THAT(text, Catch::Contains("host-a (attestation att-1): contraindicated, not eligible -> "
                                   "affirming, eligible  [ELIGIBILITY CHANGES]\n"));
  CHECK_THAT(text, Catch::Contains("findings only under the current policy:\nLAYER"));
  CHECK_THAT(text, Catch::Contains("image-not-allowed"));
  CHECK_THAT(text, !Catch::Contains("findings only under the candidate"));
  CHECK_THAT(text, !Catch::Contains("candidate findings"));
}

TEST_CASE("a re-appraisal after a policy change names its original, in history and a verdict",
          "[cli_agent]") {
  v1::ListAttestationsResponse list;
  v1::AttestationSummary* re = list.add_attestations();
  re->set_attestation_id("att-2");
  re->set_host_id("host-a");
  re->set_tier(v1::TIER_WARNING);
  re->set_placement_eligible(true);
  re->set_policy_version("push-2");
  re->set_finding_count(1);
  re->set_reappraisal_of("att-1");
  v1::AttestationSummary* original = list.add_attestations();
  original->set_attestation_id("att-1");
  original->set_host_id("host-a");
  original->set_tier(v1::TIER_CONTRAINDICATED);
  original->set_finding_count(1);
  const std::string table = AttestationListTable(list);
  CHECK_THAT(table, Catch::Matches("(.|\n)*att-2 +host-a +- +warning +yes +.* 1  re-appraisal "
                                   "of att-1 under policy push-2\n(.|\n)*"));
  CHECK_THAT(table, Catch::Matches("(.|\n)*att-1 +host-a +- +contraindicated +no +.* 1\n(.|\n)*"));

  v1::Verdict v;
  v.set_host_id("host-a");
  v.set_attestation_id("att-2");
  v.set_policy_version("push-2");
  v.set_reappraisal_of("att-1");
  CHECK_THAT(VerdictText(v), Catch::Contains("attestation att-2\nre-appraisal of attestation "
                                             "att-1: its evidence judged again when policy "
                                             "version push-2 was put in use (no new quote)\n"));
  v.clear_reappraisal_of();
  CHECK_THAT(VerdictText(v), !Catch::Contains("re-appraisal"));
}

}  // namespace
}  // namespace bootgate::cli
