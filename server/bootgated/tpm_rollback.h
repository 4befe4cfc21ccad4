// TPM rollback: a quote whose TPMS_CLOCK_INFO counters went below the highest ones its AK ever
// had accepted (Store::HighestClockInfo). Pure: no store, no clock.
#ifndef BOOTGATE_SERVER_BOOTGATED_TPM_ROLLBACK_H_
#define BOOTGATE_SERVER_BOOTGATED_TPM_ROLLBACK_H_

#include <optional>

#include "server/store/records.h"
#include "verifier/appraisal/finding.h"
#include "verifier/tpm/quote.h"

namespace bootgate::service {

// A TPM's resetCount only grows (until TPM2_Clear), restartCount only grows within one reset
// (TPM Reset sets it back to 0), and the clock only grows within one reset/restart while the
// TPM reports it safe (after an unclean shutdown it legitimately goes back, with safe = 0).
// A quote below `highest` was made by a TPM whose state went back: a replayed quote or a
// restored (rolled-back) TPM. Returns the contraindicated evidence finding
// (reset-count-decreased, restart-count-decreased or tpm-clock-decreased), or nullopt.
std::optional<appraisal::Finding> CounterRollback(const server::store::ClockInfo& highest,
                                                  const tpm::ClockInfo& quoted);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_TPM_ROLLBACK_H_
