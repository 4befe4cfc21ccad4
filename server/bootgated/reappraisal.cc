#include "server/bootgated/reappraisal.h"

#include <algorithm>
#include <atomic>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/attestation_id.h"
#include "server/bootgated/access.h"
#include "server/bootgated/attestation_service.h"
#include "server/bootgated/audit_trail.h"
#include "server/bootgated/convert.h"
#include "server/bootgated/findings_diff.h"
#include "server/bootgated/request_log.h"
#include "server/bootgated/verdict_recorder.h"
#include "verifier/appraisal/appraise_evidence.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::service {
namespace {

std::span<const uint8_t> StoredBytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

v1::Verdict CandidateVerdict(const appraisal::Appraisal& a, const std::string& host_id) {
  v1::Verdict would;
  would.set_tier(TierToProto(a.tier));
  would.set_placement_eligible(a.placement_eligible);
  would.set_policy_name(a.policy_name);
  would.set_policy_version(a.policy_version);
  *would.mutable_issued_at() = ToTimestamp(a.issued);
  *would.mutable_expires_at() = ToTimestamp(a.expires);
  for (const appraisal::Finding& f : a.findings) *would.add_findings() = FindingToProto(f);
  would.set_host_id(host_id);
  would.set_group(a.group);
  for (const std::string& e : a.exceptions_used) would.add_exceptions_used(e);
  return would;
}

// Records `r`'s new verdict as a re-appraisal of its original. false (nothing recorded) when
// the host attested (or was re-appraised) since `r.record` was read: its newer verdict stands.
absl::StatusOr<bool> RecordReappraisal(ServiceContext& context, HostReappraisal& r,
                                       const std::shared_ptr<const ActivePolicy>& active,
                                       absl::Time now) {
  ASSIGN_OR_RETURN(VerdictDetails details, DetailsFromJson(r.record.findings_json));
  VerdictRecord record;
  // Stored only while r.record is still the host's latest, checked in the store's write
  // transaction: an Attest that committed since r.record was read keeps its newer verdict.
  record.only_if_latest = r.record.id;
  record.host_id = r.record.host_id;
  record.host_group = r.record.group;
  ASSIGN_OR_RETURN(record.attestation_id, server::RandomAttestationId(now));
  record.nonce = std::move(details.qualifying_data);
  record.evidence = std::move(r.record.evidence);
  if (!r.record.ak_name.empty()) {
    // The original's AK and counters, unchanged: the AK's rollback baseline stays where it is.
    record.ak_fingerprint = r.record.ak_name;
    tpm::ClockInfo clock;
    clock.clock_ms = r.record.clock_info.clock;
    clock.reset_count = r.record.clock_info.reset_count;
    clock.restart_count = r.record.clock_info.restart_count;
    record.clock = clock;
  }
  // A re-appraisal of a re-appraisal names the attestation whose evidence the host sent.
  record.reappraisal_of =
      details.reappraisal_of.empty() ? r.record.token_id : std::move(details.reappraisal_of);
  absl::StatusOr<v1::Verdict> recorded =
      RecordVerdict(context, std::move(record), r.result, active, now);
  if (absl::IsAborted(recorded.status())) return false;
  RETURN_IF_ERROR(recorded.status());
  return true;
}

absl::Mutex reappraisal_job_mu(absl::kConstInit);

}  // namespace

absl::Time ReappraisedExpiry(absl::Time original, absl::Time appraised) {
  return std::min(original, appraised);
}

bool ReappraisableAt(absl::Time expires, absl::Time now) { return now < expires; }

unsigned ReappraisalThreads() {
  return std::clamp(std::thread::hardware_concurrency(), 1u, kMaxReappraisalThreads);
}

void ForEachHostInParallel(size_t n, unsigned threads, const std::function<bool(size_t)>& work) {
  // A few hosts per claim: little contention on `next`, and hosts are handled roughly in order.
  constexpr size_t kHostsPerClaim = 16;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto worker = [&] {
    while (!stop.load(std::memory_order_relaxed)) {
      const size_t first = next.fetch_add(kHostsPerClaim);
      if (first >= n) return;
      const size_t last = std::min(n, first + kHostsPerClaim);
      for (size_t i = first; i < last; ++i) {
        if (stop.load(std::memory_order_relaxed)) return;
        if (!work(i)) stop.store(true);
      }
    }
  };
  const size_t claims = (n + kHostsPerClaim - 1) / kHostsPerClaim;
  const size_t extra = std::min<size_t>(std::max(threads, 1u), claims) - (claims > 0 ? 1 : 0);
  std::vector<std::thread> pool;
  pool.reserve(extra);
  for (size_t t = 0; t < extra; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
}

absl::StatusOr<std::optional<HostReappraisal>> ReappraiseLatest(
    ServiceContext& context, const server::store::Host& host, const v1::Policy& policy,
    absl::Time at, absl::Time now, const policy::HostGroupIndex* groups) {
  auto latest = context.store->LatestAttestation(host.host_id);
  if (absl::IsNotFound(latest.status())) return std::nullopt;
  if (!latest.ok()) return latest.status();
  HostReappraisal r;
  r.record = *std::move(latest);
  ASSIGN_OR_RETURN(r.current, VerdictFromRecord(r.record));
  // A revoked host's verdict is the server's own "ak-revoked": no policy makes it eligible.
  // Expired evidence is never judged again into eligibility: the host must attest.
  if (host.status == server::store::kHostRevoked || !ReappraisableAt(r.record.expires_at, now)) {
    return r;
  }
  const AkCache::Parsed ak = context.aks->Get(host.ak_public);
  if (!ak->ok()) return r;
  ASSIGN_OR_RETURN(VerdictDetails details, DetailsFromJson(r.record.findings_json));
  const std::string& ak_fingerprint = host.ak_name;  // AkFingerprint of ak_public (Attest)
  appraisal::Evidence evidence;
  evidence.message = StoredBytes(r.record.evidence.quote_msg);
  evidence.signature = StoredBytes(r.record.evidence.quote_sig);
  evidence.ak = (*ak)->key.get();
  if (!r.record.evidence.event_log.empty()) {
    evidence.event_log = StoredBytes(r.record.evidence.event_log);
  }
  if (!r.record.evidence.quote_pcrs.empty()) {
    evidence.pcr_file = StoredBytes(r.record.evidence.quote_pcrs);
  }
  auto appraised = appraisal::AppraiseEvidence(evidence, details.qualifying_data, policy,
                                               host.host_id, at, groups);
  // Malformed evidence (stored as a malformed-evidence verdict) stays malformed under any
  // policy: its verdict cannot change.
  if (!appraised.ok()) return r;
  r.result = *std::move(appraised);
  ASSIGN_OR_RETURN(const server::store::HostForAttest current,
                   context.store->GetHostForAttest(host.host_id));
  RETURN_IF_ERROR(AddServerFindings(context, host.host_id, r.record.evidence.quote_msg,
                                    ak_fingerprint, current.rollback, /*have_policy=*/true,
                                    RollbackRecording::kReportOnly, now, r.result)
                      .status());
  r.result.expires = ReappraisedExpiry(r.record.expires_at, r.result.expires);
  r.candidate = CandidateVerdict(r.result, host.host_id);
  // Findings by content (findings_diff.h): re-appraising the same evidence gives the same
  // event indices, but the comparison is the one History.Diff uses.
  const bool same = r.candidate.tier() == r.current.tier() &&
                    r.candidate.placement_eligible() == r.current.placement_eligible() &&
                    SameFindings(r.current.findings(), r.candidate.findings());
  r.outcome = same ? HostReappraisal::Outcome::kUnchanged : HostReappraisal::Outcome::kChanged;
  return r;
}

v1::Reappraisal ReappraiseAll(ServiceContext& context,
                              const std::shared_ptr<const ActivePolicy>& active,
                              const Caller& caller, const std::string& trigger,
                              absl::Duration budget) {
  absl::MutexLock job(&reappraisal_job_mu);
  const absl::Time start = absl::Now();
  v1::Reappraisal out;
  std::vector<std::string> changed_hosts;
  size_t hosts = 0;
  absl::Status failure;
  bool complete = true;
  // Jobs run one at a time, not necessarily in push order: a job whose policy is no longer the
  // active one leaves the hosts to the job of the newer policy (which ran or will run).
  const std::shared_ptr<const ActivePolicy> now_active = context.policies->Current();
  const bool superseded = active && now_active &&
                          (now_active->store_version != active->store_version ||
                           now_active->policy.version() != active->policy.version());
  if (active && !superseded) {
    auto listed = context.store->ListHosts();
    if (!listed.ok()) failure = listed.status();
    const std::vector<server::store::Host> none;
    const std::vector<server::store::Host>& all = listed.ok() ? *listed : none;
    hosts = all.size();
    // Hosts are judged (and their changed verdicts recorded) on the machine's cores; the
    // counts and the changed hosts are gathered in host order afterwards.
    struct Judged {
      absl::Status status;
      bool evaluated = false;
      bool changed = false;
      bool flips = false;
    };
    std::vector<Judged> judged(failure.ok() ? all.size() : 0);
    std::atomic<bool> over_budget{false};
    const policy::HostGroupIndex groups(active->policy);
    ForEachHostInParallel(judged.size(), ReappraisalThreads(), [&](size_t i) -> bool {
      if (absl::Now() - start > budget) {
        over_budget.store(true);
        return false;
      }
      const absl::Time now = absl::Now();
      Judged& j = judged[i];
      auto r = ReappraiseLatest(context, all[i], active->policy, now, now, &groups);
      if (!r.ok()) {
        j.status = r.status();
        return false;
      }
      if (!*r) return true;
      j.evaluated = true;
      if ((*r)->outcome != HostReappraisal::Outcome::kChanged) return true;
      const bool flips = (*r)->current.placement_eligible() != (*r)->candidate.placement_eligible();
      auto recorded = RecordReappraisal(context, **r, active, now);
      if (!recorded.ok()) {
        j.status = recorded.status();
        return false;
      }
      j.changed = *recorded;
      j.flips = *recorded && flips;
      return true;
    });
    if (over_budget.load()) complete = false;
    for (size_t i = 0; i < judged.size(); ++i) {
      const Judged& j = judged[i];
      if (!j.status.ok() && failure.ok()) failure = j.status;
      if (j.evaluated) out.set_hosts_evaluated(out.hosts_evaluated() + 1);
      if (!j.changed) continue;
      out.set_hosts_changed(out.hosts_changed() + 1);
      if (j.flips) out.set_eligibility_changed(out.eligibility_changed() + 1);
      changed_hosts.push_back(all[i].host_id);
    }
  }
  out.set_complete(complete && failure.ok() && !superseded);
  out.set_seconds(absl::ToDoubleSeconds(absl::Now() - start));

  const std::string version = active ? active->policy.version() : "";
  std::vector<LogField> fields = {{"trigger", trigger},
                                  {"policy_version", version},
                                  {"hosts", absl::StrCat(hosts)},
                                  {"evaluated", absl::StrCat(out.hosts_evaluated())},
                                  {"changed", absl::StrCat(out.hosts_changed())},
                                  {"eligibility_changed", absl::StrCat(out.eligibility_changed())},
                                  {"complete", out.complete() ? "true" : "false"},
                                  {"seconds", absl::StrFormat("%.3f", out.seconds())}};
  if (!failure.ok()) fields.push_back({"msg", failure.ToString()});
  if (superseded) {
    fields.push_back({"superseded_by", absl::StrCat(now_active->policy.version(),
                                                    " store_version=", now_active->store_version)});
  }
  LogEvent("reappraisal", fields);

  // One audit record per job (not per host: a push may change thousands of verdicts); the
  // verdicts themselves carry reappraisal_of.
  constexpr size_t kNamedHosts = 20;
  std::vector<std::string> named(changed_hosts.begin(),
                                 changed_hosts.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                             kNamedHosts, changed_hosts.size())));
  std::string details = absl::StrCat(
      "trigger=", trigger, " policy_version=", version,
      " store_version=", active ? active->store_version : 0, " evaluated=", out.hosts_evaluated(),
      " changed=", out.hosts_changed(), " eligibility_changed=", out.eligibility_changed(),
      " complete=", out.complete() ? "true" : "false",
      " changed_hosts=", named.empty() ? "none" : absl::StrJoin(named, ","),
      changed_hosts.size() > named.size() ? ",..." : "");
  RecordAudit(context, caller,
              {"policy.reappraise", "", failure.ok() ? kAuditOk : kAuditRefused,
               failure.ok() ? "" : std::string(failure.message()), std::move(details)},
              absl::Now());
  return out;
}

}  // namespace bootgate::service
