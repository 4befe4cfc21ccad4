// Large allocations go back to the system when freed (issue 13 item 3). glibc's malloc raises
// its mmap threshold up to 32 MiB after each large block freed, so that the next multi-MiB
// buffers (a request, its event log's copies, their parsed events) come from per-thread heaps
// that keep what they once held: measured, 16 concurrent 16 MiB Attest calls left bootgated at
// 695 MiB of RSS (peak and after) with at most 3 attestations in flight; with the threshold
// fixed at 256 KiB, 214 MiB peak and 50 MiB after, and faster.
#ifndef BOOTGATE_SERVER_BOOTGATED_MEMORY_RELEASE_H_
#define BOOTGATE_SERVER_BOOTGATED_MEMORY_RELEASE_H_

namespace bootgate::service {

// Blocks of kMmapThresholdBytes and more are mapped on their own (and unmapped when freed),
// for the whole process. Call once, before serving.
inline constexpr int kMmapThresholdBytes = 256 * 1024;
void ReleaseLargeAllocations();

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_MEMORY_RELEASE_H_
