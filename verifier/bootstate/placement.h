// Where the TCG PC Client Platform Firmware Profile (1.05, sections 3.3.4 and 10.4.1) places
// each event type: the (PCR, event type) pairs a conforming pre-OS log may contain.
#ifndef BOOTGATE_VERIFIER_BOOTSTATE_PLACEMENT_H_
#define BOOTGATE_VERIFIER_BOOTSTATE_PLACEMENT_H_

#include <cstdint>

namespace bootgate::bootstate {

// True when an event of `type` may be measured into `pcr`.
//   - EV_NO_ACTION is allowed anywhere: it is never extended.
//   - PCRs 0-7 belong to the firmware and have a fixed vocabulary (below, in placement.cc).
//     PCRs 4 and 7 are stricter than the spec's list: they admit only types whose data is
//     either an image measured by digest (boot applications) or verified against the digest,
//     so that no event there can carry an image or a configuration under a type bootgate
//     does not read (EV_IPL, EV_EVENT_TAG, EV_COMPACT_HASH and EV_OMIT_BOOT_DEVICE_EVENTS
//     are informational and would otherwise hide an extended digest).
//   - PCRs 8-23 are defined by the OS, boot loaders and DRTM: any type is allowed.
bool IsAllowedPlacement(uint32_t pcr, uint32_t type);

}  // namespace bootgate::bootstate

#endif  // BOOTGATE_VERIFIER_BOOTSTATE_PLACEMENT_H_
