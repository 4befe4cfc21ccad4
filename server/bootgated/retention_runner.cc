#include "server/bootgated/retention_runner.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/bootgated/config.h"
#include "server/bootgated/request_log.h"

namespace bootgate::service {

server::store::RetentionPolicy RetentionPolicyFrom(const v1::RetentionConfig& config) {
  server::store::RetentionPolicy policy;
  policy.keep_last = config.keep_last();
  policy.keep_for = ToDuration(config.keep_for());
  return policy;
}

RetentionRunner::RetentionRunner(server::store::Store* store, server::store::RetentionPolicy policy,
                                 absl::Duration interval)
    : store_(store),
      policy_(policy),
      // A failed pass is logged; the next one tries again.
      passes_(std::max(interval, absl::Seconds(1)), [this] { (void)RunOnce(absl::Now()); }) {}

absl::StatusOr<server::store::RetentionResult> RetentionRunner::RunOnce(absl::Time now) {
  const absl::Time start = absl::Now();
  absl::StatusOr<server::store::RetentionResult> result = store_->ApplyRetention(policy_, now);
  const std::string ms = absl::StrCat(absl::ToInt64Milliseconds(absl::Now() - start));
  if (!result.ok()) {
    LogEvent("retention_failed", {{"msg", result.status().ToString()}, {"ms", ms}});
    return result;
  }
  LogEvent("retention", {{"hosts", absl::StrCat(result->hosts)},
                         {"attestations", absl::StrCat(result->attestations)},
                         {"event_logs", absl::StrCat(result->event_logs)},
                         {"ms", ms}});
  return result;
}

}  // namespace bootgate::service
