#include "server/bootgated/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace bootgate::service {
namespace {

// STATUS= ends at the first newline (sd_notify's assignments are one per line).
std::string StatusLine(absl::string_view status) {
  const size_t newline = status.find('\n');
  return absl::StrCat("STATUS=", status.substr(0, newline));
}

}  // namespace

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  if (!enabled_) return;
  uint64_t usec = 0;
  // > 0: WATCHDOG_USEC is set and WATCHDOG_PID is unset or ours.
  if (sd_watchdog_enabled(/*unset_environment=*/0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = absl::Microseconds(static_cast<int64_t>(usec / 2));
    watchdog_ = std::thread([this] {
      do {
        Send("WATCHDOG=1");
      } while (!stop_.WaitForNotificationWithTimeout(watchdog_interval_));
    });
  }
}

SystemdNotifier::~SystemdNotifier() {
  stop_.Notify();
  if (watchdog_.joinable()) watchdog_.join();
}

void SystemdNotifier::Ready(absl::string_view status) {
  Send(absl::StrCat("READY=1\n", StatusLine(status)));
}

void SystemdNotifier::Reloading() { Send("RELOADING=1"); }

void SystemdNotifier::Stopping(absl::string_view status) {
  Send(absl::StrCat("STOPPING=1\n", StatusLine(status)));
}

void SystemdNotifier::Send(const std::string& message) {
  // A failed send (the manager gone) changes nothing for the service: there is no one to tell.
  if (enabled_) (void)sd_notify(/*unset_environment=*/0, message.c_str());
}

}  // namespace bootgate::service
