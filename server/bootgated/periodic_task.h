// A task run on its own thread: once at start, then every interval, until the PeriodicTask is
// destroyed. What the retention runner and the free-memory returner share.
#ifndef BOOTGATE_SERVER_BOOTGATED_PERIODIC_TASK_H_
#define BOOTGATE_SERVER_BOOTGATED_PERIODIC_TASK_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace bootgate::service {

class PeriodicTask {
 public:
  // Starts the thread; its first run begins at once. What `task` uses must outlive this object.
  PeriodicTask(absl::Duration interval, std::function<void()> task);
  // Waits for a run in progress, then stops the thread (it does not wait out the interval).
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  void Loop();

  const absl::Duration interval_;
  const std::function<void()> task_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;     // last: starts after every other member is ready
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_PERIODIC_TASK_H_
