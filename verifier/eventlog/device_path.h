// EFI_DEVICE_PATH_PROTOCOL to text, in the UEFI spec 2.9 section 10.6 "Device Path to
// Text" forms: PciRoot(0x0)/Pci(0x1,0x1)/HD(1,GPT,<guid>,0x800,0x100000)/File(\EFI\x.efi).
#ifndef BOOTGATE_VERIFIER_EVENTLOG_DEVICE_PATH_H_
#define BOOTGATE_VERIFIER_EVENTLOG_DEVICE_PATH_H_

#include <string>

#include "verifier/bytes/reader.h"

namespace bootgate::eventlog {

struct DevicePathText {
  std::string text;   // nodes joined by '/', instances by ','; best effort on errors
  std::string error;  // empty when the whole path decoded; else what was wrong and where
  std::string file;   // the last File() node's path, if any ("\EFI\debian\shimx64.efi")
};

// Converts a device path. Never fails: a node shorter than 4 bytes or longer than what is
// left stops the walk (the text ends with "/<error>" and `error` says why), so a length of 0
// cannot loop. Unknown node kinds print as Path(type,subtype,hex). Stops at the end-entire
// node; bytes after it are reported in `error`. At most 256 nodes are converted. Empty `data`
// has no end node, so it is an error here; an image load event whose LengthOfDevicePath is 0
// is no path at all, and ParseImageLoadEvent says so without calling this.
DevicePathText DevicePathToText(bytes::ByteSpan data);

}  // namespace bootgate::eventlog

#endif  // BOOTGATE_VERIFIER_EVENTLOG_DEVICE_PATH_H_
