#include "server/bootgated/placement_hub.h"

#include <algorithm>

#include "server/bootgated/convert.h"
#include "server/token.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::service {

v1::PlacementStatus StatusFromVerdict(const std::string& host_id, const v1::Verdict* verdict,
                                      absl::Time now) {
  v1::PlacementStatus status;
  status.set_host_id(host_id);
  if (verdict == nullptr) {
    status.set_reason(v1::PLACEMENT_REASON_NEVER_ATTESTED);
    return status;
  }
  *status.mutable_verdict() = *verdict;
  *status.mutable_age() = ToDurationProto(now - FromTimestamp(verdict->issued_at()));
  if (!verdict->placement_eligible()) {
    status.set_reason(v1::PLACEMENT_REASON_CONTRAINDICATED);
  } else if (now >= FromTimestamp(verdict->expires_at()) ||
             FromTimestamp(verdict->issued_at()) - now > server::kClockSkewAllowance) {
    // Issued in this clock's future: the clock went back, and the verdict's age cannot be
    // told. Counting it fresh would stretch its TTL by however far the clock went back.
    status.set_reason(v1::PLACEMENT_REASON_EXPIRED);
  } else {
    status.set_eligible(true);
    status.set_reason(v1::PLACEMENT_REASON_ELIGIBLE);
  }
  return status;
}

PlacementHub::PlacementHub(server::store::Store* store, PolicyHolder* policies)
    : store_(store), policies_(policies), timer_([this] { RunTimer(); }) {}

PlacementHub::~PlacementHub() { Shutdown(); }

absl::StatusOr<v1::PlacementStatus> PlacementHub::Status(const std::string& host_id,
                                                         absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<server::store::Attestation> latest,
                   store_->LatestVerdict(host_id));  // NotFound for an unregistered host
  if (!latest) return StatusFromVerdict(host_id, nullptr, now);
  auto verdict = VerdictFromRecord(*latest);
  if (!verdict.ok()) return verdict.status();
  return StatusFromVerdict(host_id, &*verdict, now);
}

bool PlacementHub::Matches(const Watch& watch, const std::string& host,
                           const std::string& group) const {
  if (!watch.group.empty()) return watch.group == group || watch.hosts.contains(host);
  return watch.hosts.contains(host);
}

void PlacementHub::DeliverLocked(const std::string& host, const std::string& group,
                                 const v1::PlacementChange& change) {
  for (auto& [id, watch] : watches_) {
    if (Matches(watch, host, group)) watch.subscriber->Deliver(change);
  }
}

absl::StatusOr<uint64_t> PlacementHub::Subscribe(const std::vector<std::string>& host_ids,
                                                 const std::string& group, Subscriber* subscriber) {
  Watch watch{{host_ids.begin(), host_ids.end()}, group, subscriber};
  if (!group.empty()) {
    // The group's members as the active policy lists them; later verdicts naming the group
    // add hosts that join it.
    if (auto policy = policies_->Current()) {
      for (const v1::HostGroup& g : policy->policy.groups()) {
        if (g.name() == group) watch.hosts.insert(g.hosts().begin(), g.hosts().end());
      }
    }
  }
  std::vector<v1::PlacementChange> initial;
  const absl::Time now = absl::Now();
  std::lock_guard lock(mu_);
  if (stopping_) return absl::UnavailableError("bootgated is shutting down");
  for (const std::string& host : watch.hosts) {
    auto status = Status(host, now);
    if (absl::IsNotFound(status.status()) && !group.empty()) continue;  // listed, not registered
    if (!status.ok()) return status.status();
    if (status->has_verdict()) tracked_[host] = Tracked{status->verdict(), status->eligible()};
    v1::PlacementChange change;
    change.set_kind(v1::PlacementChange::KIND_INITIAL);
    *change.mutable_status() = *std::move(status);
    *change.mutable_changed_at() = ToTimestamp(now);
    initial.push_back(std::move(change));
  }
  for (const v1::PlacementChange& change : initial) subscriber->Deliver(change);
  const uint64_t id = next_id_++;
  watches_.emplace(id, std::move(watch));
  cv_.notify_all();
  return id;
}

void PlacementHub::Unsubscribe(uint64_t id) {
  std::lock_guard lock(mu_);
  watches_.erase(id);
}

void PlacementHub::Publish(const v1::Verdict& verdict) {
  const absl::Time now = absl::Now();
  std::lock_guard lock(mu_);
  Tracked& tracked = tracked_[verdict.host_id()];
  // Once per verdict: another replica's feed (PublishRecorded) may tell of one published here.
  if (!verdict.attestation_id().empty() &&
      tracked.verdict.attestation_id() == verdict.attestation_id()) {
    return;
  }
  const bool previously = tracked.eligible;
  v1::PlacementChange change;
  change.set_kind(v1::PlacementChange::KIND_NEW_VERDICT);
  *change.mutable_status() = StatusFromVerdict(verdict.host_id(), &verdict, now);
  change.set_previously_eligible(previously);
  *change.mutable_changed_at() = ToTimestamp(now);
  tracked.verdict = verdict;
  tracked.eligible = change.status().eligible();
  DeliverLocked(verdict.host_id(), verdict.group(), change);
  if (tracked.eligible && FromTimestamp(verdict.expires_at()) < timer_wakes_at_) {
    cv_.notify_all();
  }
}

void PlacementHub::RunTimer() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    absl::Time next = absl::InfiniteFuture();
    const absl::Time now = absl::Now();
    for (auto& [host, tracked] : tracked_) {
      if (!tracked.eligible) continue;
      const absl::Time expires = FromTimestamp(tracked.verdict.expires_at());
      if (expires <= now) {
        tracked.eligible = false;
        v1::PlacementChange change;
        change.set_kind(v1::PlacementChange::KIND_EXPIRED);
        *change.mutable_status() = StatusFromVerdict(host, &tracked.verdict, now);
        change.set_previously_eligible(true);
        *change.mutable_changed_at() = ToTimestamp(now);
        DeliverLocked(host, tracked.verdict.group(), change);
        if (expiry_observer_) expiry_observer_(tracked.verdict, now);
      } else {
        next = std::min(next, expires);
      }
    }
    timer_wakes_at_ = next;
    if (next == absl::InfiniteFuture()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, absl::ToChronoTime(next));
    }
  }
}

void PlacementHub::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      for (auto& [id, watch] : watches_) watch.subscriber->Close();
      watches_.clear();
    }
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
}

}  // namespace bootgate::service
