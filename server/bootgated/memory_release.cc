#include "server/bootgated/memory_release.h"

#include <malloc.h>

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

std::unique_ptr<PeriodicTask> ReturnFreeMemoryEverySecond() {
#ifdef BOOTGATE_TCMALLOC
  return std::make_unique<PeriodicTask>(absl::Seconds(1), [] {
    MallocExtension* const tcmalloc = MallocExtension::instance();
    size_t free_bytes = 0;
    if (tcmalloc->GetNumericProperty("tcmalloc.pageheap_free_bytes", &free_bytes) &&
        free_bytes > kKeepFreeBytes) {
      tcmalloc->ReleaseFreeMemory();
    }
  });
#else
  return nullptr;
#endif
}

}  // namespace bootgate::service
