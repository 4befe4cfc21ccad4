#include "server/store/notification_outbox.h"

#include "absl/strings/str_cat.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::server::store::internal {
namespace {

constexpr char kColumns[] =
    "id, event_id, url, kind, host_id, attestation_id, eligible, occurred_at_us, jwt, attempts";

Notification FromRow(const SqlRow& row) {
  Notification n;
  n.id = row.Int(0);
  n.event_id = row.Str(1);
  n.url = row.Str(2);
  n.kind = row.Str(3);
  n.host_id = row.Str(4);
  n.attestation_id = row.Str(5);
  n.eligible = row.Int(6) != 0;
  n.occurred_at = absl::FromUnixMicros(row.Int(7));
  n.jwt = row.Str(8);
  n.attempts = static_cast<int>(row.Int(9));
  return n;
}

}  // namespace

absl::StatusOr<bool> EligibleAt(SqlConnection& conn, const std::string& host_id, absl::Time at) {
  const SqlParam params[] = {host_id};
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   conn.Query("SELECT placement_eligible, expires_at_us FROM attestations"
                              " WHERE host_id = $1 ORDER BY id DESC LIMIT 1",
                              params));
  return !rows.empty() && rows.front().Int(0) != 0 && rows.front().Int(1) > Micros(at);
}

std::optional<Notification> VerdictNotification(const Attestation& a, bool eligible_before) {
  const bool eligible = a.placement_eligible && a.expires_at > a.received_at;
  if (eligible == eligible_before && !a.revocation) return std::nullopt;
  Notification n;
  n.event_id = absl::StrCat("verdict-", a.token_id);
  n.kind = a.revocation ? "revoked" : eligible ? "eligible" : "ineligible";
  n.host_id = a.host_id;
  n.attestation_id = a.token_id;
  n.eligible = eligible;
  n.occurred_at = a.received_at;
  n.jwt = a.verdict_jwt;
  return n;
}

absl::StatusOr<int> InsertNotification(SqlConnection& conn, const Notification& event,
                                       std::span<const std::string> urls, bool only_if_latest) {
  // SELECT ... WHERE, not VALUES: the latest-attestation condition (SQLite also needs a WHERE
  // before ON CONFLICT there). Casts: PostgreSQL types a SELECT's parameters as text.
  // attestations.token_id holds the id's characters as bytes.
  const std::string sql = absl::StrCat(
      "INSERT INTO notifications (event_id, url, kind, host_id, attestation_id, eligible,"
      " occurred_at_us, jwt, next_attempt_us)"
      " SELECT $1, $2, $3, $4, $5, CAST($6 AS BOOLEAN), CAST($7 AS BIGINT), $8,"
      " CAST($7 AS BIGINT) WHERE ",
      only_if_latest ? "(SELECT token_id FROM attestations WHERE host_id = $4"
                       " ORDER BY id DESC LIMIT 1) = $9"
                     : "1 = 1",
      " ON CONFLICT (event_id, url) DO NOTHING RETURNING id");
  int written = 0;
  for (const std::string& url : urls) {
    std::vector<SqlParam> params = {event.event_id,
                                    url,
                                    event.kind,
                                    event.host_id,
                                    event.attestation_id,
                                    event.eligible,
                                    Micros(event.occurred_at),
                                    event.jwt};
    if (only_if_latest) params.push_back(Bytes{event.attestation_id});
    ASSIGN_OR_RETURN(std::vector<SqlRow> rows, conn.Query(sql, params));
    written += static_cast<int>(rows.size());
  }
  return written;
}

absl::StatusOr<std::vector<Notification>> ClaimDue(SqlConnection& conn, absl::Time now,
                                                   absl::Duration lease, int max) {
  const SqlParam params[] = {Micros(now + lease), Micros(now), static_cast<int64_t>(max)};
  // One statement: the rows a replica claims are invisible to every other's claim (PostgreSQL:
  // rows another claim has locked are skipped, not waited for; SQLite: one writer at a time).
  ASSIGN_OR_RETURN(
      std::vector<SqlRow> rows,
      conn.Query(absl::StrCat(
                     "UPDATE notifications SET claimed_until_us = $1 WHERE id IN"
                     " (SELECT id FROM notifications WHERE delivered_at_us IS NULL"
                     " AND next_attempt_us <= $2 AND claimed_until_us <= $2"
                     " ORDER BY next_attempt_us, id LIMIT $3",
                     std::string(conn.dialect().lock_rows).empty() ? "" : " FOR UPDATE SKIP LOCKED",
                     ") RETURNING ", kColumns),
                 params));
  std::vector<Notification> out;
  out.reserve(rows.size());
  for (const SqlRow& row : rows) out.push_back(FromRow(row));
  return out;
}

absl::Status Finish(SqlConnection& conn, int64_t id, absl::Time now, const std::string& error,
                    absl::Time retry_at) {
  if (error.empty()) {
    const SqlParam params[] = {Micros(now), id};
    return conn
        .Query(
            "UPDATE notifications SET delivered_at_us = $1, attempts = attempts + 1,"
            " last_error = '' WHERE id = $2",
            params)
        .status();
  }
  const SqlParam params[] = {Micros(retry_at), error, id};
  return conn
      .Query(
          "UPDATE notifications SET next_attempt_us = $1, claimed_until_us = 0,"
          " attempts = attempts + 1, last_error = $2 WHERE id = $3",
          params)
      .status();
}

absl::StatusOr<int64_t> CountPending(SqlConnection& conn) {
  ASSIGN_OR_RETURN(
      std::vector<SqlRow> rows,
      conn.Query("SELECT COUNT(*) FROM notifications WHERE delivered_at_us IS NULL", {}));
  return rows.empty() ? 0 : rows.front().Int(0);
}

}  // namespace bootgate::server::store::internal
