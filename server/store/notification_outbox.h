// The notifications outbox (migration 0006), on one SqlConnection: what SqlStore runs for
// Store's notification methods and inside the transaction that records a verdict.
#ifndef BOOTGATE_SERVER_STORE_NOTIFICATION_OUTBOX_H_
#define BOOTGATE_SERVER_STORE_NOTIFICATION_OUTBOX_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/store/records.h"
#include "server/store/sql_connection.h"

namespace bootgate::server::store::internal {

// Whether `host_id`'s latest attestation makes it eligible at `at` (eligible and not expired);
// false when it has none. Read before a new record is inserted, in the same transaction.
absl::StatusOr<bool> EligibleAt(SqlConnection& conn, const std::string& host_id, absl::Time at);

// The notification of a just-inserted verdict `a`, when it changes its host's eligibility from
// `eligible_before` or is a revocation; nullopt otherwise.
std::optional<Notification> VerdictNotification(const Attestation& a, bool eligible_before);

// Writes `event` once per URL (an event id and URL already there: nothing), while `only_if_latest`
// (a token id) is its host's latest attestation when set. Returns the rows written.
absl::StatusOr<int> InsertNotification(SqlConnection& conn, const Notification& event,
                                       std::span<const std::string> urls, bool only_if_latest);

absl::StatusOr<std::vector<Notification>> ClaimDue(SqlConnection& conn, absl::Time now,
                                                   absl::Duration lease, int max);
absl::Status Finish(SqlConnection& conn, int64_t id, absl::Time now, const std::string& error,
                    absl::Time retry_at);
absl::StatusOr<int64_t> CountPending(SqlConnection& conn);

}  // namespace bootgate::server::store::internal

#endif  // BOOTGATE_SERVER_STORE_NOTIFICATION_OUTBOX_H_
