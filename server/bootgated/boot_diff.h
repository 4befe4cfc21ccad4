// What changed between the boot chains of two stored attestations. Within each (PCR, event
// type) the events of both logs are aligned by content (verifier/diff/align.h; an event's
// content is every bank's digest and its data, an image load's data without the address
// firmware placed the image at), so one event inserted or removed is one change and never
// shifts the events after it. In each gap between equal events, a removed and an added event
// of the same kind are one change: same PCR and type, and for grub's PCR 8 strings the same
// kind of string (`grub_cmd:` with the same command word, `kernel_cmdline:`,
// `module_cmdline:`). Changes are grouped into the layers findings use.
#ifndef BOOTGATE_SERVER_BOOTGATED_BOOT_DIFF_H_
#define BOOTGATE_SERVER_BOOTGATED_BOOT_DIFF_H_

#include <string>
#include <vector>

#include "bootgate/v1/history.pb.h"

namespace bootgate::service {

// The layer an event on `pcr` belongs to: 0-3 firmware, 7 secure-boot, 4-5 boot-loader,
// 8-9 kernel, others event-log.
std::string LayerOfPcr(uint32_t pcr);

// Every layer bottom up, each with the events that differ, in (PCR, event type) order and
// log order within each. An EventChange's descriptions show the digest, and the text of
// events whose data is text (grub's strings and file paths, EV_EFI_ACTION, ...); a changed
// `kernel_cmdline:` has `detail` naming the arguments added and removed, split as the kernel
// splits them. A log that does not parse counts as empty (its evidence findings say why).
std::vector<v1::LayerDiff> DiffBootChains(const std::string& log_a, const std::string& log_b);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_BOOT_DIFF_H_
