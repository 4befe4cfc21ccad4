#include "server/bootgated/notifier.h"

#include <httplib.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "server/bootgated/config.h"
#include "server/bootgated/convert.h"
#include "server/bootgated/request_log.h"

namespace bootgate::service {
namespace {

// How many due notifications one claim takes, and how often the sender looks without a wake.
constexpr int kClaimBatch = 16;
constexpr absl::Duration kPollInterval = absl::Seconds(1);
constexpr absl::Duration kMaxRetryDelay = absl::Minutes(5);

// "https://h:8443/hook" -> {"https://h:8443", "/hook"}.
std::pair<std::string, std::string> SplitUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos) return {url, "/"};
  return {url.substr(0, path), url.substr(path)};
}

}  // namespace

absl::Duration RetryDelay(int attempts) {
  absl::Duration delay = absl::Seconds(1);
  for (int i = 1; i < attempts && delay < kMaxRetryDelay; ++i) delay *= 2;
  return std::min(delay, kMaxRetryDelay);
}

std::string NotificationJson(const server::store::Notification& n) {
  const nlohmann::json body = {
      {"eventId", n.event_id},
      {"kind", n.kind},
      {"hostId", n.host_id},
      {"attestationId", n.attestation_id},
      {"eligible", n.eligible},
      {"occurredAt", absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", n.occurred_at, absl::UTCTimeZone())},
      {"jwt", n.jwt}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Notifier::Notifier(server::store::Store* store, Metrics* metrics,
                   const v1::NotificationConfig& config)
    : store_(store), metrics_(metrics), config_(config) {
  if (config_.urls().empty()) return;
  sender_ = std::thread([this] { Run(); });
}

Notifier::~Notifier() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (sender_.joinable()) sender_.join();
}

void Notifier::Expired(const v1::Verdict& verdict, absl::Time at) {
  if (config_.urls().empty()) return;
  server::store::Notification n;
  n.event_id = absl::StrCat("expired-", verdict.attestation_id());
  n.kind = "expired";
  n.host_id = verdict.host_id();
  n.attestation_id = verdict.attestation_id();
  n.eligible = false;
  n.occurred_at = at;
  n.jwt = verdict.jwt();
  {
    std::lock_guard lock(mu_);
    expiries_.push_back(std::move(n));
  }
  wake_.notify_all();
}

void Notifier::WriteExpiries() {
  while (true) {
    server::store::Notification next;
    {
      std::lock_guard lock(mu_);
      if (expiries_.empty()) return;
      next = expiries_.front();
    }
    if (auto written = store_->AddNotificationIfLatest(next); !written.ok()) {
      LogEvent("notification_store_failed",
               {{"event_id", next.event_id}, {"msg", written.status().message()}});
      return;  // kept queued: tried again at the next wake
    }
    std::lock_guard lock(mu_);
    expiries_.pop_front();
  }
}

std::string Notifier::Post(const server::store::Notification& n) {
  const auto [origin, path] = SplitUrl(n.url);
  httplib::Client client(origin);
  if (!client.is_valid()) return absl::StrCat("not an http(s) URL: ", n.url);
  const absl::Duration timeout =
      config_.has_timeout() ? ToDuration(config_.timeout()) : absl::Seconds(5);
  const auto chrono_timeout = absl::ToChronoMilliseconds(timeout);
  client.set_connection_timeout(chrono_timeout);
  client.set_read_timeout(chrono_timeout);
  client.set_write_timeout(chrono_timeout);
  if (!config_.ca_file().empty()) client.set_ca_cert_path(config_.ca_file().c_str());
  client.enable_server_certificate_verification(true);
  const httplib::Headers headers = {{"Bootgate-Event-Id", n.event_id}};
  const httplib::Result result =
      client.Post(path.c_str(), headers, NotificationJson(n), "application/json");
  if (!result) return absl::StrCat("POST failed: ", httplib::to_string(result.error()));
  if (result->status / 100 != 2) return absl::StrCat("HTTP ", result->status);
  return "";
}

bool Notifier::Stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

void Notifier::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    WriteExpiries();
    const absl::Time now = absl::Now();
    absl::StatusOr<std::vector<server::store::Notification>> due =
        store_->ClaimNotifications(now, kClaimLease, kClaimBatch);
    if (!due.ok()) {
      LogEvent("notification_store_failed", {{"msg", due.status().message()}});
    }
    const std::vector<server::store::Notification> claimed =
        due.ok() ? *std::move(due) : std::vector<server::store::Notification>();
    const bool full = static_cast<int>(claimed.size()) == kClaimBatch;
    for (const server::store::Notification& n : claimed) {
      // A stop does not wait for the rest of the batch (each POST may take its timeout): their
      // claims lapse and another replica, or this one restarted, sends them.
      if (Stopping()) break;
      const std::string error = Post(n);
      metrics_->NotificationTried(error.empty());
      const absl::Time done = absl::Now();
      const absl::Time retry_at = done + RetryDelay(n.attempts + 1);
      if (!error.empty()) {
        LogEvent("notification_failed", {{"event_id", n.event_id},
                                         {"url", n.url},
                                         {"attempt", absl::StrCat(n.attempts + 1)},
                                         {"retry_in", absl::FormatDuration(retry_at - done)},
                                         {"msg", error}});
      }
      if (auto finished = store_->FinishNotification(n.id, done, error, retry_at); !finished.ok()) {
        LogEvent("notification_store_failed",
                 {{"event_id", n.event_id}, {"msg", finished.message()}});
      }
    }
    if (auto pending = store_->PendingNotifications(); pending.ok()) {
      metrics_->NotificationsPending(*pending);
    }
    lock.lock();
    if (!full && !stopping_) wake_.wait_for(lock, absl::ToChronoMilliseconds(kPollInterval));
  }
}

}  // namespace bootgate::service
