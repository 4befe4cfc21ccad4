// TPM rollback against the highest accepted counters. Expectations from TPM 2.0 Part 1
// (36.3 and 36.4 clock and reset/restart counters): resetCount grows on every TPM Reset and only
// TPM2_Clear lowers it; restartCount grows on TPM Restart / Resume and goes back to 0 on a TPM
// Reset; Clock is persisted only now and then, so after an orderly shutdown it never goes back,
// while after an unclean one it may, and the TPM says so with clockInfo.safe = NO.
#include "server/bootgated/tpm_rollback.h"

#include <catch2/catch.hpp>

namespace bootgate::service {
namespace {

server::store::ClockInfo Highest() {
  return {.clock = 90'000, .reset_count = 5, .restart_count = 3};
}

tpm::ClockInfo Quoted(uint32_t reset, uint32_t restart, uint64_t clock_ms, bool safe = true) {
  return {.clock_ms = clock_ms, .reset_count = reset, .restart_count = restart, .safe = safe};
}

std::string CodeOf(const tpm::ClockInfo& quoted) {
  const auto f = CounterRollback(Highest(), quoted);
  return f.has_value() ? f->code : "none";
}

TEST_CASE("counters at or above the highest accepted ones are no rollback", "[tpm-rollback]") {
  CHECK(CodeOf(Quoted(5, 3, 90'000)) == "none");  // the same quote's counters
  CHECK(CodeOf(Quoted(5, 3, 95'000)) == "none");  // later, same boot
  CHECK(CodeOf(Quoted(5, 4, 10'000)) ==
        "none");  // a restart: clocks compared within one restart only
  CHECK(CodeOf(Quoted(6, 0, 1'000)) == "none");  // a reset: restartCount starts again at 0
}

TEST_CASE("a resetCount or restartCount below the highest is a rollback", "[tpm-rollback]") {
  CHECK(CodeOf(Quoted(4, 9, 999'999)) == "reset-count-decreased");
  CHECK(CodeOf(Quoted(5, 2, 999'999)) == "restart-count-decreased");
}

TEST_CASE("a safe clock that went back within one reset and restart is a rollback",
          "[tpm-rollback]") {
  const auto f = CounterRollback(Highest(), Quoted(5, 3, 89'999));
  REQUIRE(f.has_value());
  CHECK(f->code == "tpm-clock-decreased");
  CHECK(f->layer == appraisal::Layer::kEvidence);
  CHECK(f->severity == appraisal::Severity::kContraindicated);
  CHECK(f->seen == "resetCount 5, restartCount 3, clock 89999 ms");
  CHECK(f->allowed == "at least resetCount 5, restartCount 3, clock 90000 ms");
}

TEST_CASE("a clock the TPM reports unsafe may go back: no finding", "[tpm-rollback]") {
  CHECK(CodeOf(Quoted(5, 3, 1'000, /*safe=*/false)) == "none");
}

}  // namespace
}  // namespace bootgate::service
