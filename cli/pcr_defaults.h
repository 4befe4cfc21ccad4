// The PCRs a real boot chain extends, shared by the agent's default quote (`bootgate attest`)
// and `bootgate baseline learn`, so that a policy learned from any bundle accepts the agent's
// default quote on the same host.
#ifndef BOOTGATE_CLI_PCR_DEFAULTS_H_
#define BOOTGATE_CLI_PCR_DEFAULTS_H_

#include <array>
#include <cstdint>

namespace bootgate::cli {

// Firmware, option ROMs, boot manager, Secure Boot, boot applications, ExitBootServices (0-7),
// grub's commands and command line (8) and the files it read (9), shim's MokList, MokListX and
// SbatLevel (14).
inline constexpr std::array<uint32_t, 11> kBootChainPcrs = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14};

// How --pcrs and the docs spell the default.
inline constexpr char kBootChainPcrsText[] = "0-9,14";

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_PCR_DEFAULTS_H_
