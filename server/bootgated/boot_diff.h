// What changed between the boot chains of two stored attestations: events compared position by
// position within each (PCR, event type), grouped into the layers findings use.
#ifndef BOOTGATE_SERVER_BOOTGATED_BOOT_DIFF_H_
#define BOOTGATE_SERVER_BOOTGATED_BOOT_DIFF_H_

#include <string>
#include <vector>

#include "bootgate/v1/history.pb.h"

namespace bootgate::service {

// The layer an event on `pcr` belongs to: 0-3 firmware, 7 secure-boot, 4-5 boot-loader,
// 8-9 kernel, others event-log.
std::string LayerOfPcr(uint32_t pcr);

// Every layer bottom up, each with the events that differ. A log that does not parse counts as
// empty (its evidence findings say why).
std::vector<v1::LayerDiff> DiffBootChains(const std::string& log_a, const std::string& log_b);

// Findings of `from` that `to` lacks, matched on code, layer, pcr and event index.
std::vector<v1::Finding> FindingsMissingFrom(const v1::Verdict& from, const v1::Verdict& to);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_BOOT_DIFF_H_
