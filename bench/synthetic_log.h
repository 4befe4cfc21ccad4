// A large, realistic-shaped crypto-agile event log for benchmarks: the event mix of a real
// boot (UEFI variables, boot applications, grub strings) repeated to `event_count` events.
#ifndef BOOTGATE_BENCH_SYNTHETIC_LOG_H_
#define BOOTGATE_BENCH_SYNTHETIC_LOG_H_

#include <cstdint>
#include <vector>

namespace bootgate::bench {

inline constexpr uint32_t kDefaultEventCount = 20000;

// Returns the log bytes (banks SHA-1 and SHA-256). Deterministic for a given count.
std::vector<uint8_t> SyntheticLog(uint32_t event_count = kDefaultEventCount);

}  // namespace bootgate::bench

#endif  // BOOTGATE_BENCH_SYNTHETIC_LOG_H_
