#include "cli/signal_guard.h"

#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>

namespace bootgate::cli {
namespace {

std::atomic<int> delivered{0};
void Count(int) { delivered.fetch_add(1); }

TEST_CASE("termination signals wait for the guard to go away", "[cli]") {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    INFO("signal " << sig);
    struct sigaction counting = {}, previous = {};
    counting.sa_handler = Count;
    REQUIRE(sigaction(sig, &counting, &previous) == 0);
    delivered = 0;
    {
      DeferTerminationSignals guard;
      REQUIRE(raise(sig) == 0);
      CHECK(delivered == 0);  // held while the TPM work would still be running
    }
    CHECK(delivered == 1);  // delivered as the guard goes away
    REQUIRE(sigaction(sig, &previous, nullptr) == 0);
  }
}

}  // namespace
}  // namespace bootgate::cli
