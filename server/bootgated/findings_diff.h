// Which findings two verdicts do not share, compared by content: the one comparison of
// findings that History.Diff (findings_added / findings_removed) and PolicyService.DryRun
// (VerdictChange.findings_added / findings_removed, and whether a verdict changes at all) use.
//
// A finding's identity is (code, layer, pcr, seen). The event index is left out on purpose:
// one event inserted early in a log shifts every later index, and the same finding about a
// later event is still the same finding. Verdicts are compared as multisets of identities, so
// a finding that appears twice in one and once in the other is one finding added or removed.
#ifndef BOOTGATE_SERVER_BOOTGATED_FINDINGS_DIFF_H_
#define BOOTGATE_SERVER_BOOTGATED_FINDINGS_DIFF_H_

#include <string>
#include <vector>

#include "bootgate/v1/attestation.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace bootgate::service {

using Findings = google::protobuf::RepeatedPtrField<v1::Finding>;

// The identity above as one comparable string (fields length-prefixed, so no two distinct
// identities collide).
std::string FindingIdentity(const v1::Finding& finding);

struct FindingsDiff {
  std::vector<v1::Finding> added;    // in `after`, not in `before`, in `after`'s order
  std::vector<v1::Finding> removed;  // in `before`, not in `after`, in `before`'s order
  bool empty() const { return added.empty() && removed.empty(); }
};

// The findings of `after` that `before` lacks, and the reverse, by identity as a multiset.
FindingsDiff DiffFindings(const Findings& before, const Findings& after);

// True when both hold the same findings by identity and each is waived by the same exception
// (or by none): what a verdict's findings must keep for DryRun to call it unchanged.
bool SameFindings(const Findings& before, const Findings& after);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_FINDINGS_DIFF_H_
