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

}  // namespace
}  // namespace bootgate::cli
