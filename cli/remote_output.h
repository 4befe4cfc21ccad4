// Rendering of the service's answers (bootgate.v1 messages) for people (tables) and scripts
// (protobuf JSON, field names as in the .proto files).
#ifndef BOOTGATE_CLI_REMOTE_OUTPUT_H_
#define BOOTGATE_CLI_REMOTE_OUTPUT_H_

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <string>

#include "bootgate/v1/attestation.pb.h"
#include "bootgate/v1/audit.pb.h"
#include "bootgate/v1/history.pb.h"
#include "bootgate/v1/hosts.pb.h"
#include "bootgate/v1/placement.pb.h"
#include "bootgate/v1/policy_service.pb.h"

namespace bootgate::cli {

// The message as protobuf JSON (proto field names, enums by name, defaults printed), on one
// line when `compact` (JSON Lines for --watch), indented otherwise. Ends with a newline.
std::string ProtoJson(const google::protobuf::Message& message, bool compact = false);

// "affirming", "warning", "contraindicated" ("unspecified" for 0).
std::string TierText(v1::Tier tier);
// RFC 3339 UTC ("2024-05-01T12:00:00Z"); "-" for an unset timestamp.
std::string FormatTime(const google::protobuf::Timestamp& t);

// A verdict: summary block (host, tier, eligibility, policy, group, issued/expires, id), one
// row per finding (layer, PCR, event, severity or "waived:<exception>", code, message), then
// the hints.
std::string VerdictText(const v1::Verdict& verdict);
// The findings table alone (empty string for no findings).
std::string FindingsTable(const google::protobuf::RepeatedPtrField<v1::Finding>& findings);
// A registered host: id, group, trust path, status (active/REVOKED, re-enrollment allowed),
// AK and EK fingerprints, registration (time, by whom), last attestation, and the last status
// change (time, by whom, reason) when there was one.
std::string HostText(const v1::Host& host);
// Hosts.List: one row per host (host, trust path, status, EK and AK fingerprint prefixes).
std::string HostListTable(const v1::ListHostsResponse& list);
// Audit.List: one row per record (time, actor(role), action, host, outcome, reason), in the
// server's order (newest first).
std::string AuditTable(const google::protobuf::RepeatedPtrField<v1::AuditRecord>& records);
// One Placement.Watch change on one line: time, host, kind, eligibility (and before -> after
// for a change), reason, verdict tier.
std::string PlacementChangeLine(const v1::PlacementChange& change);
// Placement: "HOST eligible|NOT eligible (reason), verdict age", then the verdict.
std::string PlacementText(const v1::PlacementStatus& status);
// History listing: one row per attestation, newest first as the server sends them.
std::string AttestationListTable(const v1::ListAttestationsResponse& list);
// One attestation: the verdict, then what evidence it came from (sizes, AK, TPM clock).
std::string AttestationRecordText(const v1::AttestationRecord& record);
// A diff: both summaries, each layer changed or not with its event changes (indices in a and
// b, each side's description, and the kernel arguments added and removed when given), findings
// added and removed.
std::string AttestationDiffText(const v1::AttestationDiff& diff);
// A dry run: one row per host whose verdict would change, current -> candidate, then the
// findings only under the candidate and only under the current policy (the candidate's
// findings when those are the same and only a waiver changed).
std::string DryRunText(const v1::DryRunResponse& response);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_REMOTE_OUTPUT_H_
