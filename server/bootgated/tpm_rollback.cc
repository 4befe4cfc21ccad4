#include "server/bootgated/tpm_rollback.h"

#include "absl/strings/str_cat.h"

namespace bootgate::service {

std::optional<appraisal::Finding> CounterRollback(const server::store::ClockInfo& highest,
                                                  const tpm::ClockInfo& quoted) {
  const bool reset_down = quoted.reset_count < highest.reset_count;
  const bool same_reset = quoted.reset_count == highest.reset_count;
  const bool restart_down = same_reset && quoted.restart_count < highest.restart_count;
  const bool clock_down = same_reset && quoted.restart_count == highest.restart_count &&
                          quoted.safe && quoted.clock_ms < highest.clock;
  if (!reset_down && !restart_down && !clock_down) return std::nullopt;
  appraisal::Finding f;
  f.code = reset_down     ? "reset-count-decreased"
           : restart_down ? "restart-count-decreased"
                          : "tpm-clock-decreased";
  f.layer = appraisal::Layer::kEvidence;
  f.severity = appraisal::Severity::kContraindicated;
  f.seen = absl::StrCat("resetCount ", quoted.reset_count, ", restartCount ", quoted.restart_count,
                        ", clock ", quoted.clock_ms, " ms");
  f.allowed = absl::StrCat("at least resetCount ", highest.reset_count, ", restartCount ",
                           highest.restart_count, ", clock ", highest.clock, " ms");
  f.message = absl::StrCat("TPM rollback: the quote's ",
                           reset_down     ? "resetCount"
                           : restart_down ? "restartCount"
                                          : "clock (reported safe)",
                           " went below the highest this AK ever had accepted (quote: ", f.seen,
                           "; accepted: ", f.allowed,
                           "): the TPM's state was restored or the quote replayed");
  f.hint =
      "the host stays contraindicated until an admin acknowledges the rollback (`bootgate host "
      "ack-rollback HOST --reason ...`) or allows a re-enrollment (`bootgate host reenroll`)";
  return f;
}

}  // namespace bootgate::service
