#include "server/store/postgres_listener.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace bootgate::server::store::internal {
namespace {

struct PgConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnCloser>;

absl::StatusOr<PgConnPtr> ConnectAndListen(const std::string& conninfo,
                                           const std::string& channel) {
  PgConnPtr conn(PQconnectdb(conninfo.c_str()));
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("postgresql listener: ", conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  char* quoted = PQescapeIdentifier(conn.get(), channel.c_str(), channel.size());
  if (quoted == nullptr) return absl::InternalError("postgresql listener: bad channel name");
  const std::string listen = absl::StrCat("LISTEN ", quoted);
  PQfreemem(quoted);
  PGresult* res = PQexec(conn.get(), listen.c_str());
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  if (!ok) {
    return absl::UnavailableError(
        absl::StrCat("postgresql listener: LISTEN failed: ", PQerrorMessage(conn.get())));
  }
  return conn;
}

class PostgresFeed final : public AttestationFeed {
 public:
  PostgresFeed(std::string conninfo, std::string channel, PgConnPtr conn,
               std::function<void(const std::string&)> on_payload,
               std::function<void(const absl::Status&)> on_link)
      : conninfo_(std::move(conninfo)),
        channel_(std::move(channel)),
        on_payload_(std::move(on_payload)),
        on_link_(std::move(on_link)),
        conn_(std::move(conn)),
        thread_([this] { Run(); }) {}
  ~PostgresFeed() override {
    stop_ = true;
    thread_.join();
  }

 private:
  void Run() {
    absl::Duration retry = absl::Seconds(1);
    while (!stop_) {
      if (conn_ == nullptr) {
        absl::StatusOr<PgConnPtr> conn = ConnectAndListen(conninfo_, channel_);
        if (!conn.ok()) {
          SleepUnlessStopped(retry);
          retry = std::min(retry * 2, absl::Seconds(30));
          continue;
        }
        on_link_(absl::OkStatus());
        conn_ = *std::move(conn);
        retry = absl::Seconds(1);
      }
      if (!WaitAndDeliver()) {
        on_link_(absl::UnavailableError(
            absl::StrCat("postgresql listener on ", channel_, ": ", PQerrorMessage(conn_.get()))));
        conn_.reset();
      }
    }
  }

  // Waits up to 200 ms for the socket, then hands over every notification that arrived.
  // false when the connection is gone.
  bool WaitAndDeliver() {
    pollfd fd = {PQsocket(conn_.get()), POLLIN, 0};
    if (fd.fd < 0) return false;
    if (poll(&fd, 1, 200) < 0) return errno == EINTR;
    if (PQconsumeInput(conn_.get()) != 1) return false;
    while (PGnotify* n = PQnotifies(conn_.get())) {
      const std::string payload = n->extra != nullptr ? n->extra : "";
      PQfreemem(n);
      on_payload_(payload);
    }
    return PQstatus(conn_.get()) == CONNECTION_OK;
  }

  void SleepUnlessStopped(absl::Duration d) {
    const absl::Time until = absl::Now() + d;
    while (!stop_ && absl::Now() < until) absl::SleepFor(absl::Milliseconds(100));
  }

  const std::string conninfo_;
  const std::string channel_;
  const std::function<void(const std::string&)> on_payload_;
  const std::function<void(const absl::Status&)> on_link_;
  PgConnPtr conn_;  // only the thread touches it once started
  std::atomic<bool> stop_ = false;
  std::thread thread_;  // last: started once the members it uses exist
};

}  // namespace

absl::StatusOr<std::unique_ptr<AttestationFeed>> ListenPostgres(
    const std::string& conninfo, const std::string& channel,
    std::function<void(const std::string& payload)> on_payload,
    std::function<void(const absl::Status& link)> on_link) {
  absl::StatusOr<PgConnPtr> conn = ConnectAndListen(conninfo, channel);
  if (!conn.ok()) return conn.status();
  return std::make_unique<PostgresFeed>(conninfo, channel, *std::move(conn), std::move(on_payload),
                                        std::move(on_link));
}

}  // namespace bootgate::server::store::internal
