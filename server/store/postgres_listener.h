// A PostgreSQL LISTEN on a connection of its own, for what other replicas commit: every
// NOTIFY on the channel is handed to a callback on the listener's thread. PostgreSQL delivers a
// notification when the transaction that sent it commits, and never one of a rolled-back
// transaction. When the server goes away the listener reconnects (1 s, doubling up to 30 s),
// telling `on_link` both (an Unavailable error, then OK); notifications sent while it was
// disconnected are lost.
#ifndef BOOTGATE_SERVER_STORE_POSTGRES_LISTENER_H_
#define BOOTGATE_SERVER_STORE_POSTGRES_LISTENER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/store/store.h"

namespace bootgate::server::store::internal {

// Connects, LISTENs on `channel` and starts the thread. Unavailable when the first connection
// fails. The returned feed stops the thread when destroyed (within about 200 ms).
absl::StatusOr<std::unique_ptr<AttestationFeed>> ListenPostgres(
    const std::string& conninfo, const std::string& channel,
    std::function<void(const std::string& payload)> on_payload,
    std::function<void(const absl::Status& link)> on_link);

}  // namespace bootgate::server::store::internal

#endif  // BOOTGATE_SERVER_STORE_POSTGRES_LISTENER_H_
