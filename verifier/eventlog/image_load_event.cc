#include "verifier/eventlog/image_load_event.h"

#include "absl/strings/str_format.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::eventlog {

absl::StatusOr<ImageLoadEvent> ParseImageLoadEvent(bytes::ByteSpan data) {
  bytes::Reader reader(data);
  ImageLoadEvent image;
  ASSIGN_OR_RETURN(image.location, reader.U64Le("ImageLocationInMemory"));
  ASSIGN_OR_RETURN(image.length, reader.U64Le("ImageLengthInMemory"));
  ASSIGN_OR_RETURN(image.link_time_address, reader.U64Le("ImageLinkTimeAddress"));
  ASSIGN_OR_RETURN(image.device_path_length, reader.U64Le("LengthOfDevicePath"));
  if (image.device_path_length > reader.remaining()) {
    return reader.Error(absl::StrFormat("LengthOfDevicePath %u exceeds the %u bytes left",
                                        image.device_path_length, reader.remaining()));
  }
  ASSIGN_OR_RETURN(bytes::ByteSpan path, reader.Bytes(image.device_path_length, "DevicePath"));
  image.device_path_bytes.assign(path.begin(), path.end());
  if (path.empty()) {
    image.device_path.text = kNoDevicePathText;
  } else {
    image.device_path = DevicePathToText(path);
  }
  return image;
}

}  // namespace bootgate::eventlog
