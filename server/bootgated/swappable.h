// A shared value that a reload replaces while readers run: readers take the current one
// (Get) and keep it as long as they need; a SIGHUP puts a new one in place (Set).
#ifndef BOOTGATE_SERVER_BOOTGATED_SWAPPABLE_H_
#define BOOTGATE_SERVER_BOOTGATED_SWAPPABLE_H_

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace bootgate::service {

template <typename T>
class Swappable {
 public:
  explicit Swappable(std::shared_ptr<const T> value) : value_(std::move(value)) {}
  std::shared_ptr<const T> Get() const {
    absl::MutexLock lock(&mu_);
    return value_;
  }
  void Set(std::shared_ptr<const T> value) {
    absl::MutexLock lock(&mu_);
    value_ = std::move(value);
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const T> value_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_SWAPPABLE_H_
