// Defers SIGINT, SIGTERM and SIGHUP while a TPM transaction is open. On a TPM without a
// resource manager (/dev/tpm0, a raw swtpm) an interrupted agent would leave its transient
// objects and sessions loaded, and the TPM's few slots fill up. Created before any other thread
// (gRPC's threads inherit the mask), a guard lets the work finish and the handles be flushed;
// a signal that arrived meanwhile takes effect when the guard goes away.
#ifndef BOOTGATE_CLI_SIGNAL_GUARD_H_
#define BOOTGATE_CLI_SIGNAL_GUARD_H_

#include <signal.h>

namespace bootgate::cli {

class DeferTerminationSignals {
 public:
  DeferTerminationSignals();
  ~DeferTerminationSignals();  // restores the mask: a pending signal is delivered now
  DeferTerminationSignals(const DeferTerminationSignals&) = delete;
  DeferTerminationSignals& operator=(const DeferTerminationSignals&) = delete;

 private:
  sigset_t previous_;
};

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_SIGNAL_GUARD_H_
