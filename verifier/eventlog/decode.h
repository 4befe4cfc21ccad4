// Decodes event payloads for display and for later policy use. Pure: bytes in, a
// DecodedEvent out. Every byte is hostile and a payload that does not decode never fails
// the log: the DecodedEvent says what was wrong (`decode_error`) and keeps the raw bytes.
//
// Trust: the event type, PCR-independent data and everything decoded from it are not
// covered by the PCR. Only content of an event whose `data_check.overall` is kVerified is
// proven (see event_data_check.h); `trusted()` says so. Policy must use nothing else.
#ifndef BOOTGATE_VERIFIER_EVENTLOG_DECODE_H_
#define BOOTGATE_VERIFIER_EVENTLOG_DECODE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "verifier/eventlog/event.h"
#include "verifier/eventlog/event_data_check.h"
#include "verifier/eventlog/gpt.h"
#include "verifier/eventlog/guid.h"
#include "verifier/eventlog/image_load_event.h"
#include "verifier/eventlog/ipl.h"
#include "verifier/eventlog/signature_list.h"
#include "verifier/eventlog/uefi_variable.h"

namespace bootgate::eventlog {

// EV_SEPARATOR. 0 is the normal separator; 0xFFFFFFFF marks a firmware error.
struct Separator {
  uint32_t value = 0;
  bool is_error = false;   // 0xFFFFFFFF
  bool is_normal = false;  // 0x00000000 (anything else is neither, and reported)
  bool is_wbcl = false;    // "WBCL" in PCRs 12-14: Windows boot manager's valid separator
};

// EV_EFI_ACTION, EV_ACTION, EV_S_CRTM_VERSION, EV_OMIT_BOOT_DEVICE_EVENTS, ... : text.
struct TextEvent {
  std::string text;  // without trailing NULs; UTF-16 converted to UTF-8
  bool utf16 = false;
};

// EV_EFI_PLATFORM_FIRMWARE_BLOB (no description) and _BLOB2; also EV_POST_CODE when its
// data is a UEFI_PLATFORM_FIRMWARE_BLOB (16 bytes).
struct FirmwareBlob {
  std::optional<std::string> description;  // BLOB2 only
  uint64_t base = 0;
  uint64_t length = 0;
};

// EV_EVENT_TAG: TCG_PCClientTaggedEvent list.
struct TaggedEvent {
  uint32_t id = 0;
  std::vector<uint8_t> data;
  std::optional<std::string> text;  // data as text when printable (e.g. "Linux initrd")
};
struct TaggedEvents {
  std::vector<TaggedEvent> events;
};

// EV_NO_ACTION.
struct NoActionEvent {
  std::string signature;  // "Spec ID Event03", "StartupLocality", "SP800-155 Event3", ...
  std::optional<uint8_t> startup_locality;  // for "StartupLocality"
  std::vector<uint8_t> rest;                // bytes after the 16-byte signature
};

// EV_EFI_HANDOFF_TABLES (UEFI_HANDOFF_TABLE_POINTERS) and _TABLES2 (with a description).
struct HandoffTables {
  std::optional<std::string> description;  // TABLES2 only
  struct Table {
    Guid vendor;
    uint64_t address = 0;
  };
  std::vector<Table> tables;
};

// EV_POST_CODE given as text (e.g. "ACPI DATA", "Embedded UEFI Driver").
// (When its data is a 16-byte blob it decodes as FirmwareBlob.)

// Raw bytes for unknown types and for payloads that did not decode.
struct RawData {};

using DecodedContent =
    std::variant<RawData, Separator, TextEvent, FirmwareBlob, UefiVariable, ImageLoadEvent,
                 GptEvent, IplString, TaggedEvents, NoActionEvent, HandoffTables>;

struct DecodedEvent {
  // One readable line: "SecureBoot = 01 (enabled)", "separator 00000000",
  // "db: 2 X509 certs (CN=Test UEFI CA; ...), 0 hashes", "grub_cmd: linux /vmlinuz ...".
  std::string summary;
  EventDataCheck data_check;
  DecodedContent content;    // RawData when the type is unknown or the payload is malformed
  std::string decode_error;  // empty when the payload decoded as its type says

  // True when the decoded content is proven by the digest (data_check kVerified).
  bool trusted() const { return data_check.overall == DataCheck::kVerified; }
};

// Decodes `event` by its (claimed) type and runs VerifyEventData on it. Never fails.
DecodedEvent DecodeEvent(const Event& event);

// DecodeEvent through a bounded cache keyed by every byte its result depends on (PCR, type,
// each logged digest, the data), compared whole: the events a fleet sends over and over
// (Secure Boot variables, shim, grub, the kernel) are decoded and re-hashed once. Events whose
// data exceed 16 KiB are decoded every time. Thread-safe.
std::shared_ptr<const DecodedEvent> DecodeEventCached(const Event& event);

}  // namespace bootgate::eventlog

#endif  // BOOTGATE_VERIFIER_EVENTLOG_DECODE_H_
