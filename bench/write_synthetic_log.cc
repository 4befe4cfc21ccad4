// bootgate_bench_log OUT [EVENTS]: writes the benchmark's synthetic log to OUT.
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "bench/synthetic_log.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT [EVENTS]\n", argv[0]);
    return 2;
  }
  const uint32_t count = argc > 2 ? static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10))
                                  : bootgate::bench::kDefaultEventCount;
  const std::vector<uint8_t> log = bootgate::bench::SyntheticLog(count);
  std::ofstream out(argv[1], std::ios::binary);
  out.write(reinterpret_cast<const char*>(log.data()), static_cast<std::streamsize>(log.size()));
  return out ? 0 : 1;
}
