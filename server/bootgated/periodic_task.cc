#include "server/bootgated/periodic_task.h"

#include <utility>

namespace bootgate::service {

PeriodicTask::PeriodicTask(absl::Duration interval, std::function<void()> task)
    : interval_(interval), task_(std::move(task)), thread_([this] { Loop(); }) {}

PeriodicTask::~PeriodicTask() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void PeriodicTask::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    task_();
    lock.lock();
    wake_.wait_for(lock, absl::ToChronoNanoseconds(interval_), [this] { return stopping_; });
  }
}

}  // namespace bootgate::service
