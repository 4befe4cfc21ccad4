#include "cli/signal_guard.h"

#include <pthread.h>

namespace bootgate::cli {

DeferTerminationSignals::DeferTerminationSignals() {
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGINT);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &blocked, &previous_);
}

DeferTerminationSignals::~DeferTerminationSignals() {
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

}  // namespace bootgate::cli
