#include "server/bootgated/memory_release.h"

#include <malloc.h>

#include <chrono>

#ifdef BOOTGATE_TCMALLOC
#include <gperftools/malloc_extension.h>
#endif

namespace bootgate::service {

void ReleaseLargeAllocations() {
  // Setting the threshold also turns off glibc's dynamic raising of it (and of the trim
  // threshold); MALLOC_MMAP_THRESHOLD_ in the environment still overrides it for experiments.
  // Under tcmalloc, glibc's malloc serves nothing and this changes nothing.
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
}

FreeMemoryReturner::FreeMemoryReturner() {
#ifdef BOOTGATE_TCMALLOC
  thread_ = std::thread([this] { Loop(); });
#endif
}

FreeMemoryReturner::~FreeMemoryReturner() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FreeMemoryReturner::Loop() {
#ifdef BOOTGATE_TCMALLOC
  MallocExtension* const tcmalloc = MallocExtension::instance();
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
    size_t free_bytes = 0;
    if (tcmalloc->GetNumericProperty("tcmalloc.pageheap_free_bytes", &free_bytes) &&
        free_bytes > kKeepFreeBytes) {
      tcmalloc->ReleaseFreeMemory();
    }
  }
#endif
}

}  // namespace bootgate::service
