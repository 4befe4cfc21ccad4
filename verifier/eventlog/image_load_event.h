// UEFI_IMAGE_LOAD_EVENT (TCG PC Client PFP 1.05 section 10.2.3): the payload of
// EV_EFI_BOOT_SERVICES_APPLICATION / _DRIVER and EV_EFI_RUNTIME_SERVICES_DRIVER. Its digest
// is the image's Authenticode hash, so everything here is informational.
#ifndef BOOTGATE_VERIFIER_EVENTLOG_IMAGE_LOAD_EVENT_H_
#define BOOTGATE_VERIFIER_EVENTLOG_IMAGE_LOAD_EVENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/bytes/reader.h"
#include "verifier/eventlog/device_path.h"

namespace bootgate::eventlog {

// The device path text of an image whose LengthOfDevicePath is 0: the loader measured an
// image it had in memory (grub's linuxefi/chainloader, shim loading grub from a buffer), so
// there is no device path to show, and that is not an error.
inline constexpr char kNoDevicePathText[] = "(none: loaded from memory)";

struct ImageLoadEvent {
  uint64_t location = 0;            // ImageLocationInMemory
  uint64_t length = 0;              // ImageLengthInMemory
  uint64_t link_time_address = 0;   // ImageLinkTimeAddress
  uint64_t device_path_length = 0;  // LengthOfDevicePath
  std::vector<uint8_t> device_path_bytes;
  DevicePathText device_path;
};

// Parses the structure (32-byte header then LengthOfDevicePath bytes). InvalidArgument when
// truncated or the device path length exceeds the data. Extra trailing bytes are allowed
// (some firmware pads) and ignored. A malformed device path is not an error: see
// `device_path.error`. A LengthOfDevicePath of 0 gives `device_path.text` ==
// kNoDevicePathText with no error and no file.
absl::StatusOr<ImageLoadEvent> ParseImageLoadEvent(bytes::ByteSpan data);

}  // namespace bootgate::eventlog

#endif  // BOOTGATE_VERIFIER_EVENTLOG_IMAGE_LOAD_EVENT_H_
