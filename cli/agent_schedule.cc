#include "cli/agent_schedule.h"

#include <algorithm>

namespace bootgate::cli {

absl::Duration NextAttestDelay(absl::Duration interval, int consecutive_failures,
                               double unit_random) {
  constexpr absl::Duration kFirstRetry = absl::Seconds(1);
  constexpr double kJitter = 0.1;
  absl::Duration base = interval;
  if (consecutive_failures > 0) {
    // 1 s << (failures - 1), without overflowing: past 2^20 s the interval wins anyway.
    const int doublings = std::min(consecutive_failures - 1, 20);
    base = std::min(interval, kFirstRetry * (int64_t{1} << doublings));
  }
  const double factor = 1.0 + kJitter * (2 * std::clamp(unit_random, 0.0, 1.0) - 1.0);
  return base * factor;
}

}  // namespace bootgate::cli
