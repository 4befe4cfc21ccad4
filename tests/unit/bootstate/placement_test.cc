#include "verifier/bootstate/placement.h"

#include <catch2/catch.hpp>

#include "verifier/eventlog/event_types.h"

namespace bootgate::bootstate {
namespace {

using namespace ::bootgate::eventlog;  // NOLINT: event type constants

TEST_CASE("placement follows the TCG PC Client PFP for PCRs 0-7", "[bootstate]") {
  CHECK(IsAllowedPlacement(0, kEvSCrtmVersion));
  CHECK(IsAllowedPlacement(0, kEvEfiPlatformFirmwareBlob2));
  CHECK(IsAllowedPlacement(1, kEvEfiVariableBoot));
  CHECK(IsAllowedPlacement(2, kEvEfiBootServicesDriver));
  CHECK(IsAllowedPlacement(4, kEvEfiBootServicesApplication));
  CHECK(IsAllowedPlacement(4, kEvEfiAction));
  CHECK(IsAllowedPlacement(5, kEvEfiGptEvent));
  CHECK(IsAllowedPlacement(7, kEvEfiVariableDriverConfig));
  CHECK(IsAllowedPlacement(7, kEvEfiVariableAuthority));
  for (uint32_t pcr = 0; pcr < 8; ++pcr) CHECK(IsAllowedPlacement(pcr, kEvSeparator));

  CHECK_FALSE(IsAllowedPlacement(4, kEvEfiVariableDriverConfig));
  CHECK_FALSE(IsAllowedPlacement(2, kEvIpl));
  CHECK_FALSE(IsAllowedPlacement(0, kEvEfiBootServicesApplication));
  CHECK_FALSE(IsAllowedPlacement(7, kEvEfiBootServicesApplication));
  CHECK_FALSE(IsAllowedPlacement(1, 0x12345678));
}

TEST_CASE("PCRs 4 and 7 refuse informational types that could hide a digest", "[bootstate]") {
  for (uint32_t type :
       {kEvIpl, kEvEventTag, kEvCompactHash, kEvOmitBootDeviceEvents, kEvEfiBootServicesDriver}) {
    CHECK_FALSE(IsAllowedPlacement(4, type));
    CHECK_FALSE(IsAllowedPlacement(7, type));
  }
}

TEST_CASE("EV_NO_ACTION goes anywhere; PCRs 8-23 take any type; 24 and up none", "[bootstate]") {
  for (uint32_t pcr = 0; pcr < 30; ++pcr) CHECK(IsAllowedPlacement(pcr, kEvNoAction));
  for (uint32_t pcr = 8; pcr < 24; ++pcr) {
    CHECK(IsAllowedPlacement(pcr, kEvIpl));
    CHECK(IsAllowedPlacement(pcr, 0x12345678));
  }
  CHECK_FALSE(IsAllowedPlacement(24, kEvIpl));
}

}  // namespace
}  // namespace bootgate::bootstate
