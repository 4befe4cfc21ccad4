// When the agent (`bootgate attest --watch INTERVAL`) attests next. Pure: the caller supplies
// the randomness, so tests can pin it.
//   - After an attestation that got a verdict (eligible or not): INTERVAL, jittered by up to
//     +-10% so that a fleet started together (or a server restarted under it) spreads out.
//   - After a failure (server unreachable or refusing, TPM error): retried sooner, after 1 s,
//     2 s, 4 s... doubling with each consecutive failure, never later than INTERVAL, with the
//     same jitter. A verdict resets the count.
#ifndef BOOTGATE_CLI_AGENT_SCHEDULE_H_
#define BOOTGATE_CLI_AGENT_SCHEDULE_H_

#include "absl/time/time.h"

namespace bootgate::cli {

// `consecutive_failures` is 0 after a verdict; `unit_random` is uniform in [0, 1).
absl::Duration NextAttestDelay(absl::Duration interval, int consecutive_failures,
                               double unit_random);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_AGENT_SCHEDULE_H_
