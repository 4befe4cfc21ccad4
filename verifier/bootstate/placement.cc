#include "verifier/bootstate/placement.h"

#include <algorithm>
#include <array>
#include <initializer_list>

#include "verifier/eventlog/event_types.h"

namespace bootgate::bootstate {
namespace {

using namespace ::bootgate::eventlog;  // NOLINT: the event type constants

bool OneOf(uint32_t type, std::initializer_list<uint32_t> types) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

}  // namespace

bool IsAllowedPlacement(uint32_t pcr, uint32_t type) {
  if (type == kEvNoAction) return true;
  switch (pcr) {
    case 0:  // SRTM, BIOS, host platform extensions, embedded option ROMs
      return OneOf(type,
                   {kEvSCrtmVersion, kEvSCrtmContents, kEvEfiHcrtmEvent, kEvPostCode,
                    kEvEfiPlatformFirmwareBlob, kEvEfiPlatformFirmwareBlob2, kEvEfiSpdmFirmwareBlob,
                    kEvNonhostCode, kEvNonhostInfo, kEvEfiHandoffTables, kEvEfiHandoffTables2,
                    kEvEventTag, kEvEfiAction, kEvSeparator});
    case 1:  // host platform configuration
      return OneOf(
          type, {kEvEfiVariableDriverConfig, kEvEfiVariableBoot, kEvEfiVariableBoot2,
                 kEvEfiHandoffTables, kEvEfiHandoffTables2, kEvCpuMicrocode, kEvPlatformConfigFlags,
                 kEvTableOfDevices, kEvNonhostConfig, kEvNonhostInfo, kEvEfiSpdmFirmwareConfig,
                 kEvPostCode, kEvEventTag, kEvAction, kEvEfiAction, kEvSeparator});
    case 2:  // UEFI drivers and applications, option ROMs
      return OneOf(type, {kEvEfiBootServicesDriver, kEvEfiRuntimeServicesDriver,
                          kEvEfiBootServicesApplication, kEvEfiPlatformFirmwareBlob,
                          kEvEfiPlatformFirmwareBlob2, kEvEfiSpdmFirmwareBlob, kEvNonhostCode,
                          kEvNonhostInfo, kEvPostCode, kEvEventTag, kEvEfiAction, kEvSeparator});
    case 3:  // their configuration
      return OneOf(type, {kEvEfiVariableDriverConfig, kEvEfiSpdmFirmwareConfig, kEvNonhostConfig,
                          kEvEventTag, kEvEfiAction, kEvSeparator});
    case 4:  // boot manager code and boot attempts (see the header on why so strict)
      return OneOf(type, {kEvEfiBootServicesApplication, kEvEfiAction, kEvAction, kEvSeparator});
    case 5:  // boot manager configuration, GPT, ExitBootServices
      return OneOf(type, {kEvEfiGptEvent, kEvEfiGptEvent2, kEvIplPartitionData, kEvEfiVariableBoot,
                          kEvEfiVariableBoot2, kEvEfiHandoffTables, kEvEventTag, kEvAction,
                          kEvEfiAction, kEvSeparator});
    case 6:  // host platform manufacturer specific (wake events)
      return OneOf(type, {kEvCompactHash, kEvEventTag, kEvAction, kEvEfiAction, kEvSeparator});
    case 7:  // Secure Boot policy (see the header on why so strict)
      return OneOf(
          type, {kEvEfiVariableDriverConfig, kEvEfiVariableAuthority, kEvEfiAction, kEvSeparator});
    default:
      return pcr < 24;
  }
}

}  // namespace bootgate::bootstate
