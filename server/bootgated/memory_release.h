// Memory freed after large requests goes back to the system (issue 13 item 3).
//
// Under glibc's malloc (the sanitizer builds): its mmap threshold rises up to 32 MiB after each
// large block freed, so that the next multi-MiB buffers (a request, its event log's copies, their
// parsed events) come from per-thread heaps that keep what they once held: measured, 16 concurrent
// 16 MiB Attest calls left bootgated at 695 MiB of RSS (peak and after) with at most 3
// attestations in flight; with the threshold fixed at 256 KiB, 214 MiB peak and 50 MiB after.
//
// Under tcmalloc (release builds, CMakeLists.txt: bootgate_malloc): freed pages stay in its page
// heap for reuse until it is asked to return them. The same 16 calls left 225 MiB after;
// ReturnFreeMemoryEverySecond gives them back within a second.
#ifndef BOOTGATE_SERVER_BOOTGATED_MEMORY_RELEASE_H_
#define BOOTGATE_SERVER_BOOTGATED_MEMORY_RELEASE_H_

#include <cstddef>
#include <memory>

#include "server/bootgated/periodic_task.h"

namespace bootgate::service {

// glibc: blocks of kMmapThresholdBytes and more are mapped on their own (and unmapped when
// freed), for the whole process. Call once, before serving.
inline constexpr int kMmapThresholdBytes = 256 * 1024;
void ReleaseLargeAllocations();

// tcmalloc: once a second, when its page heap holds more than kKeepFreeBytes of freed pages, they
// go back to the system, until the returned task is destroyed. Under glibc: null, no thread.
inline constexpr size_t kKeepFreeBytes = 32 << 20;
std::unique_ptr<PeriodicTask> ReturnFreeMemoryEverySecond();

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_MEMORY_RELEASE_H_
