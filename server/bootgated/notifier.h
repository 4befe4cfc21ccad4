// Eligibility notifications (NotificationConfig in proto/bootgate/v1/config.proto): the sender.
//
// The events themselves are written by the store: a verdict that changes its host's eligibility
// (or a revocation) in the very transaction that records it (StoreOptions::notification_urls),
// and an eligible verdict that expires while it is its host's latest by Expired() below, which
// the PlacementHub's timer calls. Each event is one row per URL with a stable event id, so a
// replica that sees the same expiry writes nothing new.
//
// The sender thread claims due rows for kClaimLease (Store::ClaimNotifications: another replica
// skips them), POSTs each as JSON with the header Bootgate-Event-Id, and marks it delivered on
// a 2xx; anything else is tried again after RetryDelay(attempts). At least once: a replica that
// dies between the POST and the mark lets its claim lapse and another sends the event again,
// with the same event id for the receiver to drop.
#ifndef BOOTGATE_SERVER_BOOTGATED_NOTIFIER_H_
#define BOOTGATE_SERVER_BOOTGATED_NOTIFIER_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "bootgate/v1/attestation.pb.h"
#include "bootgate/v1/config.pb.h"
#include "server/bootgated/metrics.h"
#include "server/store/store.h"

namespace bootgate::service {

inline constexpr absl::Duration kClaimLease = absl::Seconds(30);

// 1 s after the first failure, doubling, at most 5 minutes.
absl::Duration RetryDelay(int attempts);

// The POST body: {"eventId", "kind", "hostId", "attestationId", "eligible", "occurredAt", "jwt"}.
std::string NotificationJson(const server::store::Notification& n);

class Notifier {
 public:
  // Sends nothing and starts no thread when `config` has no URLs.
  Notifier(server::store::Store* store, Metrics* metrics, const v1::NotificationConfig& config);
  ~Notifier();  // stops the sender after the POST in progress, not after its whole batch

  // `verdict` (eligible) passed its expiry at `at` with no newer verdict seen: written as an
  // "expired" event by the sender thread (never blocks the caller).
  void Expired(const v1::Verdict& verdict, absl::Time at);

 private:
  void Run();
  bool Stopping();
  // Writes the expiries queued so far; returns when the queue is empty or the store fails.
  void WriteExpiries();
  // One POST; empty when delivered, else why not.
  std::string Post(const server::store::Notification& n);

  server::store::Store* store_;
  Metrics* metrics_;
  v1::NotificationConfig config_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::deque<server::store::Notification> expiries_;
  std::thread sender_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_NOTIFIER_H_
