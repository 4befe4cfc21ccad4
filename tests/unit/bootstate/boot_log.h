// Test-only boot logs for the bootstate tests: the events a good UEFI host logs (EDK2-like
// firmware, shim, grub, a kernel), step by step, each step returning its event index so a
// test can insert a deviation anywhere and assert the exact event a finding names.
#ifndef BOOTGATE_TESTS_UNIT_BOOTSTATE_BOOT_LOG_H_
#define BOOTGATE_TESTS_UNIT_BOOTSTATE_BOOT_LOG_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/bootstate/payloads.h"
#include "tests/unit/eventlog/log_builder.h"
#include "verifier/bootstate/extract.h"

namespace bootgate::bootstate::testing {

class BootLog {
 public:
  BootLog();  // crypto-agile, SHA-1 and SHA-256 banks

  // Each returns the index of the event it added.
  uint32_t Measure(uint32_t pcr, uint32_t type, Bytes data);
  uint32_t MeasureOther(uint32_t pcr, uint32_t type, const Bytes& digest_of, Bytes data);
  // An event whose digests are of `digest_of` although the type says they cover `data`.
  uint32_t Lie(uint32_t pcr, uint32_t type, const Bytes& digest_of, Bytes data) {
    return MeasureOther(pcr, type, digest_of, std::move(data));
  }

  // The good boot, in EDK2 + shim + grub order.
  void Firmware();          // CRTM version, two BLOB2s (PCR 0)
  void SecureBootConfig();  // SecureBoot=1, PK, KEK, db, dbx (PCR 7), "Calling EFI ..." (PCR 4)
  void Separators();        // PCRs 0-7 in order
  void ShimAndGrub();       // db authority, shim, SbatLevel, MokListRT, Shim authority, grub
  void GrubAndKernel();  // grub's linux command, PCR 9 file, kernel image, kernel_cmdline, initrd
  void ExitBootServices();  // PCR 5 invocation + success
  void GoodBoot();          // all of the above

  struct Indices {
    uint32_t crtm = 0, blob = 0, secure_boot = 0, pk = 0, kek = 0, db = 0, dbx = 0;
    std::array<uint32_t, 8> separator{};
    uint32_t db_authority = 0, shim = 0, sbat = 0, moklist = 0, shim_authority = 0, grub = 0;
    uint32_t linux_cmd = 0, cmdline = 0, kernel_file = 0, kernel = 0, exit_boot_services = 0;
  };
  const Indices& at() const { return at_; }
  eventlog::testing::LogBuilder& builder() { return builder_; }
  Bytes Build() const { return builder_.Build(); }

  static inline const std::string kCmdline = "/boot/vmlinuz-6.1.0 root=/dev/sda2 ro quiet";

 private:
  eventlog::testing::LogBuilder builder_;
  Indices at_;
};

// Parses, replays (both must succeed) and decodes `log`, then extracts with the quote
// selection `quoted` (tpm2-tools syntax; "" = nothing quoted).
BootStateResult Extract(const BootLog& log, const std::string& quoted = "sha256:0-9");

// The findings with `code`.
std::vector<appraisal::Finding> FindingsWith(const BootStateResult& result,
                                             const std::string& code);
// All findings as text, for INFO().
std::string Describe(const BootStateResult& result);

}  // namespace bootgate::bootstate::testing

#endif  // BOOTGATE_TESTS_UNIT_BOOTSTATE_BOOT_LOG_H_
