#include "bench/synthetic_log.h"

#include <array>
#include <optional>

#include "swtpm-fixtures/generator/efi.h"
#include "swtpm-fixtures/generator/tcg_log.h"
#include "verifier/crypto/hash.h"

namespace bootgate::bench {
namespace {

using fixtures::LoggedEvent;

constexpr std::array<crypto::HashAlg, 2> kBanks = {crypto::HashAlg::kSha1,
                                                   crypto::HashAlg::kSha256};

constexpr char kEfiImageSecurityDatabaseGuid[] = "d719b2cb-3d3a-4596-a3bc-dad00e67656f";

// The event mix of a real boot, built from the fixture generator's UEFI structures so that
// tpm2_eventlog can read the same file. Returns event `i` with its digests for `banks`.
LoggedEvent EventLike(uint32_t i) {
  const auto string_bytes = [](std::string_view s) { return fixtures::Bytes(s.begin(), s.end()); };
  LoggedEvent event;
  std::optional<fixtures::Bytes> measured;  // what the digest covers, when not the whole data
  switch (i % 5) {
    case 0: {  // db holding one certificate-sized entry
      const fixtures::Bytes cert(1100, static_cast<uint8_t>(i));
      event.pcr = 7;
      event.type = fixtures::kEvEfiVariableDriverConfig;
      event.data = fixtures::efi::VariableData(kEfiImageSecurityDatabaseGuid, "db",
                                               fixtures::efi::X509SignatureList(cert));
      break;
    }
    case 1:  // an image load event with a hard drive + file device path
      event.pcr = 4;
      event.type = fixtures::kEvEfiBootServicesApplication;
      event.data = fixtures::efi::ImageLoadEvent(
          0x7e000000 + i, 0x1000,
          fixtures::efi::HardDriveFilePath(1, 2048, 1048576, fixtures::Bytes(16, 0x11),
                                           "\\EFI\\debian\\grubx64.efi"));
      break;
    case 2:  // grub measures the command without its "grub_cmd: " prefix and NUL
      event.pcr = 8;
      event.type = fixtures::kEvIpl;
      event.data = string_bytes("grub_cmd: linux /boot/vmlinuz-6.1.0-18-amd64 root=UUID=x ro");
      event.data.push_back(0);
      measured = {event.data.begin() + 10, event.data.end() - 1};
      break;
    case 3:
      event.pcr = 9;
      event.type = fixtures::kEvIpl;
      event.data = string_bytes("/boot/grub/x86_64-efi/normal.mod");
      event.data.push_back(0);
      break;
    default:
      event.pcr = 5;
      event.type = fixtures::kEvEfiAction;
      event.data = string_bytes("Calling EFI Application from Boot Option");
      break;
  }
  for (crypto::HashAlg bank : kBanks) {
    event.digests.push_back(*crypto::Hash(bank, measured ? *measured : event.data));
  }
  return event;
}

}  // namespace

std::vector<uint8_t> SyntheticLog(uint32_t event_count) {
  std::vector<LoggedEvent> events;
  events.reserve(event_count);
  for (uint32_t i = 0; i < event_count; ++i) {
    events.push_back(EventLike(i));
  }
  return fixtures::SerializeLog(kBanks, events);
}

}  // namespace bootgate::bench
