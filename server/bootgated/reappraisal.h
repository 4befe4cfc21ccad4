// Re-appraisal of stored evidence under another policy, with no new quote: each host's latest
// attestation judged again exactly as Attest judges (AppraiseEvidence, then the findings the
// server adds: AddServerFindings in attestation_service.h). PolicyService.DryRun reports what
// would change and stores nothing; a policy push (PolicyService.Put) or a policy_file reloaded
// on SIGHUP while no policy was pushed records every verdict that changes (ReappraiseAll), so
// that placement and Placement.Watch see the new policy at once.
#ifndef BOOTGATE_SERVER_BOOTGATED_REAPPRAISAL_H_
#define BOOTGATE_SERVER_BOOTGATED_REAPPRAISAL_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootgate/v1/attestation.pb.h"
#include "bootgate/v1/policy.pb.h"
#include "bootgate/v1/policy_service.pb.h"
#include "server/bootgated/access.h"
#include "server/bootgated/policy_holder.h"
#include "server/bootgated/service_context.h"
#include "server/store/records.h"
#include "verifier/appraisal/appraisal.h"
#include "verifier/policy/evaluate.h"

namespace bootgate::service {

// Pure. The expiry of a re-appraised verdict: the new appraisal's, but never later than the
// original verdict's (re-judging old evidence does not make it fresher).
absl::Time ReappraisedExpiry(absl::Time original, absl::Time appraised);

// Pure. Whether evidence whose verdict expires at `expires` may be re-appraised at `now`: not
// once it expired (an expired verdict is never re-appraised into eligibility; the host has to
// attest again).
bool ReappraisableAt(absl::Time expires, absl::Time now);

struct HostReappraisal {
  enum class Outcome {
    kUnchanged,  // judged again: same tier, eligibility and findings (by content)
    kChanged,    // judged again: `result` / `candidate` differ from `current`
    kKept,       // not judged again: expired, malformed (any policy) or a revoked host
  };
  Outcome outcome = Outcome::kKept;
  server::store::Attestation record;  // the latest attestation, with its evidence
  v1::Verdict current;                // its stored verdict
  appraisal::Appraisal result;        // the new judgement (expiry capped); when judged again
  v1::Verdict candidate;              // `result` as a Verdict, without id or JWT
};

// The host's latest attestation judged again under `policy` at `at` (the policy's clock: its
// exceptions' dates), its freshness judged at `now`. nullopt when the host never attested.
// `have_policy` false adds Attest's "no-policy" finding. The host's AK comes from
// `context.aks`. `groups`: `policy`'s HostGroupIndex, or nullptr.
absl::StatusOr<std::optional<HostReappraisal>> ReappraiseLatest(
    ServiceContext& context, const server::store::Host& host, const v1::Policy& policy,
    absl::Time at, absl::Time now, const policy::HostGroupIndex* groups = nullptr);

// The threads a re-appraisal job uses: the machine's cores (hardware_concurrency), at most
// kMaxReappraisalThreads, at least 1.
inline constexpr unsigned kMaxReappraisalThreads = 8;
unsigned ReappraisalThreads();

// Runs work(i, aks) for every i in [0, n) on up to `threads` threads (the calling thread one of
// them), each claiming the next few indices in order. `work` returning
// false stops every thread before its next index (indices not reached are not run). Returns
// when every thread is done. `work` must be safe to run for distinct indices at once.
void ForEachHostInParallel(size_t n, unsigned threads, const std::function<bool(size_t)>& work);

// How long one ReappraiseAll may run before it stops (Reappraisal.complete = false): it runs
// within the Put call (or the SIGHUP reload) that triggered it.
inline constexpr absl::Duration kReappraisalBudget = absl::Seconds(60);

// Re-appraises every registered host's latest evidence under `active` (just pushed, or the
// reloaded policy_file) and records each verdict that changes: a fresh attestation id, the
// original evidence, qualifying data, AK and TPM clock (the rollback baseline does not move),
// Verdict.reappraisal_of = the original id, expires_at capped (ReappraisedExpiry); the
// recorder publishes it to Placement watchers. A host that attested while its evidence was
// being judged keeps its newer verdict. One job at a time per process; a job whose policy was
// replaced before it started does nothing (complete = false, superseded_by= in its log line):
// the newer policy's job judges the hosts. Logs
// event=reappraisal trigger= policy_version= hosts= evaluated= changed= eligibility_changed=
// complete= seconds= (msg= when a store error stopped it: complete = false; the counts say how
// far it went) and audits one "policy.reappraise" record as `caller` (who pushed; the server
// itself for a reload) naming the changed hosts.
v1::Reappraisal ReappraiseAll(ServiceContext& context,
                              const std::shared_ptr<const ActivePolicy>& active,
                              const Caller& caller, const std::string& trigger,
                              absl::Duration budget = kReappraisalBudget);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_REAPPRAISAL_H_
