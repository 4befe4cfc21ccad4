// bootgated under systemd (bootgated.service, Type=notify, WatchdogSec=): readiness, reload and
// stop told through sd_notify(3), and watchdog pings. Everything is a no-op when the process was
// not started by systemd with a notify socket (NOTIFY_SOCKET unset): a bootgated run by hand, by
// a test or by another supervisor behaves exactly as before.
#ifndef BOOTGATE_SERVER_BOOTGATED_SYSTEMD_NOTIFY_H_
#define BOOTGATE_SERVER_BOOTGATED_SYSTEMD_NOTIFY_H_

#include <string>
#include <thread>

#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace bootgate::service {

class SystemdNotifier {
 public:
  // Reads NOTIFY_SOCKET, and WATCHDOG_USEC/WATCHDOG_PID through sd_watchdog_enabled(3). When
  // the watchdog is on for this process, a thread sends WATCHDOG=1 every half of WATCHDOG_USEC
  // from now on (a long schema migration at start is covered too) until destruction.
  SystemdNotifier();
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // True when NOTIFY_SOCKET is set (messages are sent).
  bool enabled() const { return enabled_; }
  // The interval of the pings: half of WATCHDOG_USEC; zero when the watchdog is off.
  absl::Duration watchdog_interval() const { return watchdog_interval_; }

  // READY=1 with STATUS=`status`: the store is open and both servers listen.
  void Ready(absl::string_view status);
  // RELOADING=1 (SIGHUP received); Ready() again once the reload is done or refused.
  void Reloading();
  // STOPPING=1 with STATUS=`status`: the stop has begun (calls are drained).
  void Stopping(absl::string_view status);

 private:
  void Send(const std::string& message);

  bool enabled_ = false;
  absl::Duration watchdog_interval_ = absl::ZeroDuration();
  absl::Notification stop_;
  std::thread watchdog_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_SYSTEMD_NOTIFY_H_
