// Placement: whether a host may receive workloads now, and the stream of changes that
// Placement.Watch serves. A host is eligible only while its latest verdict is eligible and
// not past its expires_at; the hub's timer thread notices expiries with no new attestation.
#ifndef BOOTGATE_SERVER_BOOTGATED_PLACEMENT_HUB_H_
#define BOOTGATE_SERVER_BOOTGATED_PLACEMENT_HUB_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootgate/v1/placement.pb.h"
#include "server/bootgated/policy_holder.h"
#include "server/store/store.h"

namespace bootgate::service {

// The status a verdict gives at `now` (no verdict: NEVER_ATTESTED).
v1::PlacementStatus StatusFromVerdict(const std::string& host_id, const v1::Verdict* verdict,
                                      absl::Time now);

class PlacementHub {
 public:
  // Receives a watch's changes. Deliver and Close are called with the hub's lock held and
  // must not call back into the hub; Close is the last call a subscriber gets.
  class Subscriber {
   public:
    virtual ~Subscriber() = default;
    virtual void Deliver(const v1::PlacementChange& change) = 0;
    virtual void Close() = 0;  // the server is shutting down
  };

  PlacementHub(server::store::Store* store, PolicyHolder* policies);
  ~PlacementHub();  // Shutdown()

  // The host's status from its latest stored attestation. NotFound for an unregistered host.
  absl::StatusOr<v1::PlacementStatus> Status(const std::string& host_id, absl::Time now);

  // Registers a watch of `host_ids`, or of every host of policy group `group` (also hosts
  // whose verdicts later name the group), delivering the INITIAL status of each known host
  // first. NotFound (nothing registered) for an unregistered host id. Returns the id for
  // Unsubscribe.
  absl::StatusOr<uint64_t> Subscribe(const std::vector<std::string>& host_ids,
                                     const std::string& group, Subscriber* subscriber);
  void Unsubscribe(uint64_t id);

  // A new verdict was stored: tells the watchers of its host and tracks its expiry. A verdict
  // already published (same attestation id) is not told twice.
  void Publish(const v1::Verdict& verdict);

  // Called by the expiry timer, with the hub's lock held (it must not call back), for each
  // eligible verdict that passes its expiry while it is the latest the hub knows of its host.
  // Set before the first Publish.
  void SetExpiryObserver(std::function<void(const v1::Verdict&, absl::Time)> observer) {
    std::lock_guard lock(mu_);
    expiry_observer_ = std::move(observer);
  }

  // Closes every watch (Subscriber::Close) and stops the timer. Idempotent.
  void Shutdown();

 private:
  struct Watch {
    std::set<std::string> hosts;
    std::string group;
    Subscriber* subscriber;
  };
  struct Tracked {
    v1::Verdict verdict;
    bool eligible = false;  // as last delivered
  };
  bool Matches(const Watch& watch, const std::string& host, const std::string& group) const;
  void DeliverLocked(const std::string& host, const std::string& group,
                     const v1::PlacementChange& change);
  void RunTimer();

  server::store::Store* store_;
  PolicyHolder* policies_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  // When the expiry timer wakes next (InfiniteFuture: only when told): Publish wakes it only
  // for an eligible verdict that expires before that, not for every verdict (a push over a
  // fleet publishes thousands, and each wake scans every tracked host).
  absl::Time timer_wakes_at_ = absl::InfiniteFuture();
  uint64_t next_id_ = 1;
  std::map<uint64_t, Watch> watches_;
  std::map<std::string, Tracked> tracked_;
  std::function<void(const v1::Verdict&, absl::Time)> expiry_observer_;
  std::thread timer_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_PLACEMENT_HUB_H_
