// bootgated's sd_notify messages (server/bootgated/systemd_notify.h), received on a datagram
// socket of the test's own that NOTIFY_SOCKET names, as systemd's manager receives them.
#include "server/bootgated/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace bootgate::service {
namespace {

// A notify socket in a fresh temporary directory; NOTIFY_SOCKET names it while it lives.
class NotifySocket {
 public:
  NotifySocket() {
    char dir_template[] = "/tmp/bootgate-notify-XXXXXX";
    REQUIRE(mkdtemp(dir_template) != nullptr);
    dir_ = dir_template;
    path_ = dir_ + "/notify.sock";
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~NotifySocket() {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    close(fd_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }

  // The next message, or "" when none comes within `timeout_ms`.
  std::string Receive(int timeout_ms = 1000) {
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buffer[4096];
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  }

 private:
  std::string dir_, path_;
  int fd_ = -1;
};

TEST_CASE("without NOTIFY_SOCKET the notifier does nothing", "[systemd]") {
  unsetenv("NOTIFY_SOCKET");
  setenv("WATCHDOG_USEC", "100000", 1);
  {
    SystemdNotifier notifier;
    CHECK_FALSE(notifier.enabled());
    CHECK(notifier.watchdog_interval() == absl::ZeroDuration());
    notifier.Ready("serving");
    notifier.Reloading();
    notifier.Stopping("stopping");
  }
  unsetenv("WATCHDOG_USEC");
}

TEST_CASE("ready, reloading and stopping reach the notify socket", "[systemd]") {
  NotifySocket socket;
  SystemdNotifier notifier;
  CHECK(notifier.enabled());
  CHECK(notifier.watchdog_interval() == absl::ZeroDuration());
  notifier.Ready("serving: gRPC port 7443, HTTP port 7480");
  CHECK(socket.Receive() == "READY=1\nSTATUS=serving: gRPC port 7443, HTTP port 7480");
  notifier.Reloading();
  CHECK(socket.Receive() == "RELOADING=1");
  // A status keeps to its first line: the rest could not be another assignment.
  notifier.Stopping("stopping on SIGTERM\nREADY=1");
  CHECK(socket.Receive() == "STOPPING=1\nSTATUS=stopping on SIGTERM");
  CHECK(socket.Receive(100).empty());
}

TEST_CASE("the watchdog is pinged at half of WATCHDOG_USEC until the notifier goes", "[systemd]") {
  NotifySocket socket;
  setenv("WATCHDOG_USEC", "100000", 1);
  SECTION("WATCHDOG_PID unset or ours") {
    for (const bool ours : {false, true}) {
      INFO("WATCHDOG_PID " << (ours ? "ours" : "unset"));
      if (ours) setenv("WATCHDOG_PID", absl::StrCat(getpid()).c_str(), 1);
      {
        SystemdNotifier notifier;
        CHECK(notifier.watchdog_interval() == absl::Milliseconds(50));
        // Pings from the start, then every 50 ms.
        for (int i = 0; i < 4; ++i) CHECK(socket.Receive() == "WATCHDOG=1");
      }
      // None after the notifier is gone (one may have been in flight).
      std::vector<std::string> late;
      for (std::string m = socket.Receive(200); !m.empty(); m = socket.Receive(200)) {
        late.push_back(m);
      }
      CHECK(late.size() <= 1);
    }
  }
  SECTION("WATCHDOG_PID of another process: no pings") {
    setenv("WATCHDOG_PID", absl::StrCat(getpid() + 1).c_str(), 1);
    SystemdNotifier notifier;
    CHECK(notifier.enabled());
    CHECK(notifier.watchdog_interval() == absl::ZeroDuration());
    CHECK(socket.Receive(200).empty());
  }
}

}  // namespace
}  // namespace bootgate::service
