#include "server/mutex_mode.h"

#include "absl/synchronization/mutex.h"

namespace bootgate::server {

void UseReleaseMutexMode() {
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

}  // namespace bootgate::server
