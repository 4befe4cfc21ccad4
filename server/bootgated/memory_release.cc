#include "server/bootgated/memory_release.h"

#include <malloc.h>

namespace bootgate::service {

void ReleaseLargeAllocations() {
  // Setting the threshold also turns off glibc's dynamic raising of it (and of the trim
  // threshold); MALLOC_MMAP_THRESHOLD_ in the environment still overrides it for experiments.
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
}

}  // namespace bootgate::service
