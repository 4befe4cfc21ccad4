#include "verifier/eventlog/event_data_check.h"

#include <catch2/catch.hpp>

#include "tests/unit/eventlog_decode/builders.h"
#include "verifier/eventlog/event_types.h"

namespace bootgate::eventlog {
namespace {

using testing::Builder;
using testing::Bytes;
using testing::MakeEvent;

void CheckAllBanks(const EventDataCheck& check, DataCheck expected) {
  CHECK(check.overall == expected);
  REQUIRE(check.banks.size() == 2);
  for (const BankDataCheck& bank : check.banks) CHECK(bank.result == expected);
}

Bytes SecureBootVar(uint8_t value) {
  return testing::UefiVariableData(kEfiGlobalVariableGuid, "SecureBoot", {value});
}

TEST_CASE("data check verifies events hashed over their whole data", "[eventlog_decode]") {
  const Bytes separator = {0, 0, 0, 0};
  const Bytes action = Builder().Str("Calling EFI Application from Boot Option").Build();
  const Bytes crtm = Builder().Utf16("1.0").Build();
  for (const auto& [type, data] : std::vector<std::pair<uint32_t, Bytes>>{
           {kEvSeparator, separator},
           {kEvEfiAction, action},
           {kEvAction, action},
           {kEvSCrtmVersion, crtm},
           {kEvEfiGptEvent, Bytes(100, 7)},
           {kEvEfiVariableDriverConfig, SecureBootVar(1)},
           {kEvEfiVariableAuthority, SecureBootVar(1)},
       }) {
    INFO(EventTypeName(type));
    const EventDataCheck check = VerifyEventData(MakeEvent(7, type, data));
    CheckAllBanks(check, DataCheck::kVerified);
    CHECK(check.rule == "hash of the whole event data");
  }
}

TEST_CASE("data check reports a mismatch when the data was edited and the digest kept",
          "[eventlog_decode]") {
  // The classic lie: SecureBoot measured as 0, log rewritten to say 1.
  const Event lying = MakeEvent(7, kEvEfiVariableDriverConfig, SecureBootVar(1), SecureBootVar(0));
  CheckAllBanks(VerifyEventData(lying), DataCheck::kMismatch);
  Event sep = MakeEvent(0, kEvSeparator, {0, 0, 0, 0});
  sep.data = {0xFF, 0xFF, 0xFF, 0xFF};
  CheckAllBanks(VerifyEventData(sep), DataCheck::kMismatch);
}

TEST_CASE("data check reports a mismatch if only one bank disagrees", "[eventlog_decode]") {
  Event event = MakeEvent(0, kEvSeparator, {0, 0, 0, 0});
  event.digests[1].digest[0] ^= 1;
  const EventDataCheck check = VerifyEventData(event);
  CHECK(check.overall == DataCheck::kMismatch);
  CHECK(check.banks[0].result == DataCheck::kVerified);
  CHECK(check.banks[1].result == DataCheck::kMismatch);
}

// EV_EFI_VARIABLE_BOOT(2): OVMF/EDK2 hash VariableData only, the PFP and many PCs' firmware
// the whole UEFI_VARIABLE_DATA. Both conventions are genuine and the check names the one
// that matched.
TEST_CASE("data check accepts EV_EFI_VARIABLE_BOOT and _BOOT2 in both genuine conventions",
          "[eventlog_decode]") {
  const Bytes value = {0x00, 0x00, 0x01, 0x00};
  const Bytes var = testing::UefiVariableData(kEfiGlobalVariableGuid, "BootOrder", value);
  for (uint32_t type : {kEvEfiVariableBoot, kEvEfiVariableBoot2}) {
    INFO(EventTypeName(type));
    const EventDataCheck edk2 = VerifyEventData(MakeEvent(1, type, var, value));
    CheckAllBanks(edk2, DataCheck::kVerified);
    CHECK(edk2.rule == "hash of VariableData (EDK2/OVMF convention)");
    const EventDataCheck pfp = VerifyEventData(MakeEvent(1, type, var, var));
    CheckAllBanks(pfp, DataCheck::kVerified);
    CHECK(pfp.rule == "hash of the whole UEFI_VARIABLE_DATA (PFP convention, many PCs)");
    CHECK(pfp.quirk.empty());
    // Another value under the old digest matches neither.
    CheckAllBanks(VerifyEventData(MakeEvent(1, type, var, {0x02, 0x00, 0x01, 0x00})),
                  DataCheck::kMismatch);
    // A malformed structure cannot be what was measured.
    Bytes broken = var;
    broken.pop_back();
    CheckAllBanks(VerifyEventData(MakeEvent(1, type, broken, value)), DataCheck::kMismatch);
  }
}

TEST_CASE("data check refuses banks that match different conventions", "[eventlog_decode]") {
  // Firmware hashes one buffer into every bank: sha1 over VariableData and sha256 over the
  // whole structure is no firmware's measurement.
  const Bytes value = {0x01, 0x00};
  const Bytes var = testing::UefiVariableData(kEfiGlobalVariableGuid, "BootOrder", value);
  Event mixed = MakeEvent(1, kEvEfiVariableBoot, var, value);
  mixed.digests[1] = MakeEvent(1, kEvEfiVariableBoot, var, var).digests[1];
  const EventDataCheck check = VerifyEventData(mixed);
  CHECK(check.overall == DataCheck::kMismatch);
  CHECK(check.banks[0].result == DataCheck::kVerified);
  CHECK(check.banks[1].result == DataCheck::kMismatch);
}

// Older shim builds log EV_EFI_VARIABLE_AUTHORITY with one byte more than they measured.
TEST_CASE("data check recognises shim's trailing-byte authority quirk and nothing looser",
          "[eventlog_decode]") {
  const Bytes measured = testing::UefiVariableData(
      kEfiImageSecurityDatabaseGuid, "Shim", testing::MakeCertificate("Debian Secure Boot CA"));
  Bytes logged = measured;
  logged.push_back(0x00);
  const EventDataCheck quirk =
      VerifyEventData(MakeEvent(7, kEvEfiVariableAuthority, logged, measured));
  CheckAllBanks(quirk, DataCheck::kVerified);
  CHECK(quirk.quirk == kShimAuthorityTrailingByteQuirk);
  CHECK(quirk.rule ==
        "hash of the data without its last byte (shim logged one byte more than it measured)");
  // The exact data verifies without a quirk.
  const EventDataCheck exact = VerifyEventData(MakeEvent(7, kEvEfiVariableAuthority, measured));
  CheckAllBanks(exact, DataCheck::kVerified);
  CHECK(exact.quirk.empty());
  // Two bytes more, one byte less, or the last byte dropped from another event type: forged.
  Bytes two_more = logged;
  two_more.push_back(0x00);
  CheckAllBanks(VerifyEventData(MakeEvent(7, kEvEfiVariableAuthority, two_more, measured)),
                DataCheck::kMismatch);
  Bytes one_less = measured;
  one_less.pop_back();
  CheckAllBanks(VerifyEventData(MakeEvent(7, kEvEfiVariableAuthority, one_less, measured)),
                DataCheck::kMismatch);
  CheckAllBanks(VerifyEventData(MakeEvent(7, kEvEfiVariableDriverConfig, logged, measured)),
                DataCheck::kMismatch);
  // A changed byte inside the measured part is still a mismatch.
  Bytes edited = logged;
  edited[edited.size() - 2] ^= 1;
  CheckAllBanks(VerifyEventData(MakeEvent(7, kEvEfiVariableAuthority, edited, measured)),
                DataCheck::kMismatch);
  // One bank exact and the other through the quirk is no shim's measurement.
  Event mixed = MakeEvent(7, kEvEfiVariableAuthority, logged, measured);
  mixed.digests[1] = MakeEvent(7, kEvEfiVariableAuthority, logged).digests[1];
  CHECK(VerifyEventData(mixed).overall == DataCheck::kMismatch);
}

TEST_CASE("data check hashes grub PCR 8 strings after the prefix without the NUL",
          "[eventlog_decode]") {
  for (const std::string prefix : {"grub_cmd: ", "kernel_cmdline: ", "module_cmdline: "}) {
    INFO(prefix);
    const std::string text = "linux /vmlinuz root=/dev/sda1 ro";
    const Bytes data = Builder().Str(prefix + text).U8(0).Build();
    const Bytes measured = Builder().Str(text).Build();
    const EventDataCheck ok = VerifyEventData(MakeEvent(8, kEvIpl, data, measured));
    CheckAllBanks(ok, DataCheck::kVerified);
    CHECK(ok.rule == "hash of the text after \"" + prefix + "\" without the trailing NUL");
    // The NUL is not measured by grub.
    CheckAllBanks(VerifyEventData(MakeEvent(8, kEvIpl, data, Builder().Str(text).U8(0).Build())),
                  DataCheck::kMismatch);
    // Edited command line with the old digest.
    const Bytes edited = Builder().Str(prefix + text + " init=/bin/sh").U8(0).Build();
    CheckAllBanks(VerifyEventData(MakeEvent(8, kEvIpl, edited, measured)), DataCheck::kMismatch);
  }
}

TEST_CASE("data check treats digests over other bytes as informational", "[eventlog_decode]") {
  const Bytes file = Builder().Str("/boot/vmlinuz-6.1.0").U8(0).Build();
  const Bytes contents(64, 0xAB);
  for (const auto& [pcr, type] : std::vector<std::pair<uint32_t, uint32_t>>{
           {9, kEvIpl},                         // grub file load: digest of the file
           {14, kEvIpl},                        // shim MokList: digest of the variable
           {8, kEvIpl},                         // PCR 8 text without a grub prefix
           {4, kEvEfiBootServicesApplication},  // Authenticode
           {2, kEvEfiBootServicesDriver},
           {2, kEvEfiRuntimeServicesDriver},
           {9, kEvEventTag},  // Linux initrd
           {0, kEvEfiPlatformFirmwareBlob},
           {0, kEvEfiPlatformFirmwareBlob2},
           {0, kEvPostCode},
           {1, kEvEfiHandoffTables},
           {1, kEvEfiHandoffTables2},
           {0, kEvSCrtmContents},
           {0, 0x12345678},  // unknown type
       }) {
    INFO(EventTypeName(type) << " PCR " << pcr);
    CheckAllBanks(VerifyEventData(MakeEvent(pcr, type, file, contents)), DataCheck::kInformational);
  }
}

TEST_CASE("data check does not apply to EV_NO_ACTION", "[eventlog_decode]") {
  Event event = MakeEvent(0, kEvNoAction, Builder().Str("StartupLocality").U8(0).U8(3).Build());
  for (auto& d : event.digests) std::fill(d.digest.begin(), d.digest.end(), 0);
  CheckAllBanks(VerifyEventData(event), DataCheck::kNotApplicable);
}

TEST_CASE("data check leaves a bank with an unknown algorithm unchecked", "[eventlog_decode]") {
  Event event = MakeEvent(0, kEvSeparator, {0, 0, 0, 0});
  event.digests.push_back(
      EventDigest{.alg_id = 0x0099, .alg = std::nullopt, .digest = LoggedDigest(20, 0)});
  const EventDataCheck check = VerifyEventData(event);
  CHECK(check.overall == DataCheck::kVerified);
  REQUIRE(check.banks.size() == 3);
  CHECK(check.banks[2].alg_id == 0x0099);
  CHECK(check.banks[2].result == DataCheck::kUnchecked);

  Event only_unknown = event;
  only_unknown.digests.erase(only_unknown.digests.begin(), only_unknown.digests.begin() + 2);
  CHECK(VerifyEventData(only_unknown).overall == DataCheck::kUnchecked);
}

TEST_CASE("data check follows the claimed type, so a relabelled event proves nothing",
          "[eventlog_decode]") {
  // An image load event (digest = Authenticode hash) relabelled as a driver-config
  // variable: re-hashing the data cannot match, so nothing decoded from it is trusted.
  const Bytes image = testing::ImageLoad(0x1000, 0x2000, 0, testing::EndNode());
  const Bytes authenticode(32, 0x5A);
  Event event = MakeEvent(4, kEvEfiBootServicesApplication, image, authenticode);
  CHECK(VerifyEventData(event).overall == DataCheck::kInformational);
  event.type = kEvEfiVariableDriverConfig;
  CHECK(VerifyEventData(event).overall == DataCheck::kMismatch);
  // And a measured SecureBoot variable relabelled as an application becomes display-only.
  Event var = MakeEvent(7, kEvEfiVariableDriverConfig, SecureBootVar(0));
  var.type = kEvEfiBootServicesApplication;
  CHECK(VerifyEventData(var).overall == DataCheck::kInformational);
  // A grub command moved to another PCR is no longer checked as a grub string.
  const Bytes cmd = Builder().Str("grub_cmd: ls").U8(0).Build();
  CHECK(VerifyEventData(MakeEvent(8, kEvIpl, cmd, Builder().Str("ls").Build())).overall ==
        DataCheck::kVerified);
  CHECK(VerifyEventData(MakeEvent(9, kEvIpl, cmd, Builder().Str("ls").Build())).overall ==
        DataCheck::kInformational);
}

TEST_CASE("data check names every outcome", "[eventlog_decode]") {
  CHECK(DataCheckName(DataCheck::kVerified) == "verified");
  CHECK(DataCheckName(DataCheck::kMismatch) == "MISMATCH");
  CHECK(DataCheckName(DataCheck::kInformational) == "informational");
  CHECK(DataCheckName(DataCheck::kNotApplicable) == "n/a");
  CHECK(DataCheckName(DataCheck::kUnchecked) == "unchecked");
}

}  // namespace
}  // namespace bootgate::eventlog
