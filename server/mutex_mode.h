// Debian builds Abseil without NDEBUG, so its absl::Mutex, which gRPC's mutexes are too, checks
// every lock for deadlock cycles in one process-wide graph behind one global lock. Measured
// under bench/load.sh: 1.5% of bootgated's CPU and 3% of the load generator's at the peak, and
// contention on that global lock between all their threads. Our release builds (NDEBUG) turn
// the check off at the start of main; debug and sanitizer builds keep it.
#ifndef BOOTGATE_SERVER_MUTEX_MODE_H_
#define BOOTGATE_SERVER_MUTEX_MODE_H_

namespace bootgate::server {

void UseReleaseMutexMode();

}  // namespace bootgate::server

#endif  // BOOTGATE_SERVER_MUTEX_MODE_H_
