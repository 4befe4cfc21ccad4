// Turns a Scenario into the events a real measured boot would log and extend, in firmware
// order, the order of a real OVMF + shim 16.1 + Debian grub 2.06 boot (tests/data/realboot/golden;
// fixtures_realboot_order checks it): pre-boot (S-CRTM, firmware volumes, Secure Boot variables
// and the separator in PCR 7, boot variables in PCR 1), ReadyToBoot (PCR 4 action, separators
// 0-6), the boot loaders (each image's authority in PCR 7, the GPT in PCR 5 before the first
// image, images in PCR 4, shim's MokList/MokListX/SbatLevel/MokListTrusted in PCRs 14 and 7,
// grub's commands in PCR 8 each followed by the files it reads in PCR 9, the kernel grub loads
// from memory before kernel_cmdline) and ExitBootServices (PCR 5).
// Pure: no TPM, no files (certificates come through `load_cert`).
#ifndef BOOTGATE_SWTPM_FIXTURES_GENERATOR_BOOT_BUILDER_H_
#define BOOTGATE_SWTPM_FIXTURES_GENERATOR_BOOT_BUILDER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bootgate/v1/scenario.pb.h"
#include "swtpm-fixtures/generator/tcg_log.h"

namespace bootgate::fixtures {

// Returns the DER of the named test certificate (swtpm-fixtures/ca/<name>.der).
using CertLoader = std::function<absl::StatusOr<Bytes>(const std::string& name)>;

// Returns the scenario's banks in log order. InvalidArgument for an unknown or repeated name
// or an empty list.
absl::StatusOr<std::vector<crypto::HashAlg>> ScenarioBanks(const v1::Scenario& scenario);

// Returns the boot's events, digests computed for every bank in `banks`. InvalidArgument for
// a malformed scenario (bad GUID or hex, unknown certificate), whatever `load_cert` returns
// for a missing certificate.
absl::StatusOr<std::vector<LoggedEvent>> BuildBoot(const v1::Scenario& scenario,
                                                   std::span<const crypto::HashAlg> banks,
                                                   const CertLoader& load_cert);

// Applies the scenario's tamper steps to the events (event N is the N-th record after the
// Spec ID event, counting from 1). InvalidArgument for an index outside the log.
absl::Status ApplyTamper(const v1::Scenario& scenario, std::span<const crypto::HashAlg> banks,
                         std::vector<LoggedEvent>& events);

}  // namespace bootgate::fixtures

#endif  // BOOTGATE_SWTPM_FIXTURES_GENERATOR_BOOT_BUILDER_H_
