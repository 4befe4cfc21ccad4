#include "verifier/eventlog/decode.h"

#include <catch2/catch.hpp>

#include "tests/unit/eventlog_decode/builders.h"
#include "verifier/eventlog/event_types.h"

namespace bootgate::eventlog {
namespace {

using testing::Builder;
using testing::Bytes;
using testing::MakeEvent;
using testing::Node;

const Guid kOwner = testing::G("77fa9abd-0359-4d32-bd60-28f4e78f784b");
const Guid kPart = testing::G("6a8d2f4c-1b3e-4d5f-9a7b-0c1d2e3f4a5b");

template <typename T>
const T& As(const DecodedEvent& decoded) {
  INFO(decoded.summary << " / " << decoded.decode_error);
  REQUIRE(std::holds_alternative<T>(decoded.content));
  return std::get<T>(decoded.content);
}

Bytes ShimImage() {
  Bytes path;
  for (const Bytes& node :
       {Node(2, 1, Builder().U32(0x0A0341D0).U32(0).Build()), Node(1, 1, {0, 1}),
        Node(4, 1, Builder().U32(1).U64(0x800).U64(0x100000).GuidBytes(kPart).U8(2).U8(2).Build()),
        Node(4, 4, Builder().Utf16("\\EFI\\debian\\shimx64.efi").Build()), testing::EndNode()}) {
    path.insert(path.end(), node.begin(), node.end());
  }
  return testing::ImageLoad(0x7e000000, 0x15000, 0, path);
}

Bytes GptData() {
  Builder b;
  b.U64(0x5452415020494645ULL)
      .U32(0x00010000)
      .U32(92)
      .U32(0)
      .U32(0)
      .U64(1)
      .U64(999)
      .U64(34)
      .U64(966)
      .GuidBytes(kPart)
      .U64(2)
      .U32(128)
      .U32(128)
      .U32(0);
  b.U64(1);
  Builder name;
  name.Utf16("EFI System", false);
  Bytes name_bytes = name.Build();
  name_bytes.resize(72);
  b.GuidBytes(testing::G("c12a7328-f81f-11d2-ba4b-00a0c93ec93b"))
      .GuidBytes(kOwner)
      .U64(2048)
      .U64(4095)
      .U64(0)
      .Raw(name_bytes);
  return b.Build();
}

Bytes DbVariable() {
  return testing::UefiVariableData(
      kEfiImageSecurityDatabaseGuid, "db",
      testing::SignatureList(kEfiCertX509Guid, kOwner, {testing::MakeCertificate("Test UEFI CA")}));
}

TEST_CASE("decode: separators, normal and error", "[eventlog_decode]") {
  const DecodedEvent normal = DecodeEvent(MakeEvent(7, kEvSeparator, {0, 0, 0, 0}));
  CHECK(normal.summary == "separator 00000000");
  CHECK(As<Separator>(normal).is_normal);
  CHECK(normal.trusted());
  const DecodedEvent error = DecodeEvent(MakeEvent(7, kEvSeparator, {0xFF, 0xFF, 0xFF, 0xFF}));
  CHECK(error.summary == "separator ffffffff (error separator: firmware reported an error)");
  CHECK(As<Separator>(error).is_error);
  const DecodedEvent odd = DecodeEvent(MakeEvent(7, kEvSeparator, {1, 0, 0, 0}));
  CHECK(odd.summary == "separator 00000001 (not a valid separator value)");
  const DecodedEvent long_sep = DecodeEvent(MakeEvent(7, kEvSeparator, {0, 0, 0, 0, 0}));
  CHECK(long_sep.decode_error == "offset 4: separator data longer than 4 bytes");
  CHECK(std::holds_alternative<RawData>(long_sep.content));
}

// Windows boot manager ends its boot configuration log in PCRs 12-14 with the separator
// "WBCL" (Windows Boot Configuration Log); there it is valid, in PCRs 0-7 it is not.
TEST_CASE("decode: the Windows \"WBCL\" separator is valid in PCRs 12-14 only",
          "[eventlog_decode]") {
  const Bytes wbcl = {'W', 'B', 'C', 'L'};
  for (uint32_t pcr : {12u, 13u, 14u}) {
    INFO("PCR " << pcr);
    const DecodedEvent event = DecodeEvent(MakeEvent(pcr, kEvSeparator, wbcl));
    CHECK(event.trusted());
    CHECK(As<Separator>(event).is_wbcl);
    CHECK(event.summary == "separator 4c434257 (\"WBCL\": end of the Windows boot log)");
  }
  for (uint32_t pcr : {0u, 7u, 11u, 15u}) {
    INFO("PCR " << pcr);
    const DecodedEvent event = DecodeEvent(MakeEvent(pcr, kEvSeparator, wbcl));
    CHECK_FALSE(As<Separator>(event).is_wbcl);
    CHECK(event.summary == "separator 4c434257 (not a valid separator value)");
  }
}

TEST_CASE("decode: SecureBoot and the mode variables", "[eventlog_decode]") {
  for (const auto& [name, value, summary] :
       std::vector<std::tuple<std::string, uint8_t, std::string>>{
           {"SecureBoot", 1, "SecureBoot = 01 (enabled)"},
           {"SecureBoot", 0, "SecureBoot = 00 (disabled)"},
           {"SetupMode", 0, "SetupMode = 00 (user mode)"},
           {"DeployedMode", 1, "DeployedMode = 01 (deployed)"},
           {"AuditMode", 0, "AuditMode = 00 (not in audit mode)"},
       }) {
    const Bytes data = testing::UefiVariableData(kEfiGlobalVariableGuid, name, {value});
    const DecodedEvent decoded = DecodeEvent(MakeEvent(7, kEvEfiVariableDriverConfig, data));
    CHECK(decoded.summary == summary);
    const UefiVariable& var = As<UefiVariable>(decoded);
    CHECK(var.vendor.ToString() == "8be4df61-93ca-11d2-aa0d-00e098032b8c");
    CHECK(var.name == name);
    CHECK(var.unicode_name_length == name.size());
    CHECK(var.variable_data_length == 1);
    CHECK(var.data == Bytes{value});
    CHECK(decoded.trusted());
  }
}

TEST_CASE("decode: db with an X.509 certificate", "[eventlog_decode]") {
  const DecodedEvent decoded = DecodeEvent(MakeEvent(7, kEvEfiVariableDriverConfig, DbVariable()));
  CHECK(decoded.summary == "db: 1 X509 cert (CN=Test UEFI CA), 0 SHA256 hashes");
  const UefiVariable& var = As<UefiVariable>(decoded);
  REQUIRE(var.signature_lists.has_value());
  REQUIRE(var.signature_lists->size() == 1);
  CHECK((*var.signature_lists)[0].entries[0].x509->common_name == "Test UEFI CA");
  CHECK(var.signature_list_error.empty());
}

TEST_CASE("decode: a malformed signature list is reported in the variable", "[eventlog_decode]") {
  const Bytes data =
      testing::UefiVariableData(kEfiImageSecurityDatabaseGuid, "dbx", Bytes(10, 0xEE));
  const DecodedEvent decoded = DecodeEvent(MakeEvent(7, kEvEfiVariableDriverConfig, data));
  const UefiVariable& var = As<UefiVariable>(decoded);
  CHECK(var.signature_list_error ==
        "offset 38: truncated EFI_SIGNATURE_LIST SignatureType: need 16 bytes, 10 left");
  CHECK(decoded.summary == "dbx: malformed signature list (" + var.signature_list_error + ")");
}

TEST_CASE("decode: EV_EFI_VARIABLE_AUTHORITY holds one certificate entry", "[eventlog_decode]") {
  const Bytes cert = testing::MakeCertificate("Debian Secure Boot CA");
  const Bytes entry = Builder().GuidBytes(kOwner).Raw(cert).Build();
  const DecodedEvent db =
      DecodeEvent(MakeEvent(7, kEvEfiVariableAuthority,
                            testing::UefiVariableData(kEfiImageSecurityDatabaseGuid, "db", entry)));
  const UefiVariable& var = As<UefiVariable>(db);
  REQUIRE(var.authority.has_value());
  CHECK(var.authority_has_owner);
  CHECK(var.authority->owner == kOwner);
  CHECK(var.authority->data == cert);
  CHECK(var.authority->x509->common_name == "Debian Secure Boot CA");
  CHECK(db.summary.rfind("db: authority CN=Debian Secure Boot CA (sha256 ", 0) == 0);
  // shim logs its built-in certificate bare, without an owner.
  const DecodedEvent shim = DecodeEvent(MakeEvent(
      7, kEvEfiVariableAuthority, testing::UefiVariableData(kShimLockGuid, "Shim", cert)));
  const UefiVariable& shim_var = As<UefiVariable>(shim);
  REQUIRE(shim_var.authority.has_value());
  CHECK_FALSE(shim_var.authority_has_owner);
  // SbatLevel is text, not a certificate.
  const DecodedEvent sbat = DecodeEvent(
      MakeEvent(7, kEvEfiVariableAuthority,
                testing::UefiVariableData(kShimLockGuid, "SbatLevel",
                                          Builder().Str("sbat,1,2022111500\n").Build())));
  CHECK_FALSE(As<UefiVariable>(sbat).authority.has_value());
  CHECK(sbat.summary.rfind("SbatLevel = 18 bytes: ", 0) == 0);
}

TEST_CASE("decode: a Boot#### variable shows its description and path", "[eventlog_decode]") {
  const Bytes path = [] {
    Bytes p = Node(4, 4, Builder().Utf16("\\EFI\\debian\\shimx64.efi").Build());
    const Bytes end = testing::EndNode();
    p.insert(p.end(), end.begin(), end.end());
    return p;
  }();
  const Bytes option =
      Builder().U32(1).U16(static_cast<uint16_t>(path.size())).Utf16("debian").Raw(path).Build();
  const Bytes var = testing::UefiVariableData(kEfiGlobalVariableGuid, "Boot0001", option);
  const DecodedEvent decoded = DecodeEvent(MakeEvent(1, kEvEfiVariableBoot, var, option));
  CHECK(decoded.summary == "Boot0001: debian (File(\\EFI\\debian\\shimx64.efi))");
  CHECK(decoded.trusted());
  const Bytes order = {0x01, 0x00, 0x00, 0x00};
  const DecodedEvent boot_order = DecodeEvent(
      MakeEvent(1, kEvEfiVariableBoot,
                testing::UefiVariableData(kEfiGlobalVariableGuid, "BootOrder", order), order));
  CHECK(boot_order.summary == "BootOrder = 4 bytes: 01000000");
}

TEST_CASE("decode: boot application image load event", "[eventlog_decode]") {
  const DecodedEvent decoded =
      DecodeEvent(MakeEvent(4, kEvEfiBootServicesApplication, ShimImage(), Bytes(32, 1)));
  CHECK(decoded.summary ==
        "\\EFI\\debian\\shimx64.efi (PciRoot(0x0)/Pci(0x1,0x0)/"
        "HD(1,GPT,6a8d2f4c-1b3e-4d5f-9a7b-0c1d2e3f4a5b,0x800,0x100000)/"
        "File(\\EFI\\debian\\shimx64.efi))");
  const ImageLoadEvent& image = As<ImageLoadEvent>(decoded);
  CHECK(image.location == 0x7e000000);
  CHECK(image.length == 0x15000);
  CHECK(image.link_time_address == 0);
  CHECK(image.device_path_length == image.device_path_bytes.size());
  CHECK(decoded.data_check.overall == DataCheck::kInformational);
  CHECK_FALSE(decoded.trusted());
}

TEST_CASE("decode: an image load event with a broken device path still decodes",
          "[eventlog_decode]") {
  const Bytes bad_path = Builder().U8(4).U8(4).U16(0).Build();
  const DecodedEvent decoded = DecodeEvent(
      MakeEvent(4, kEvEfiBootServicesApplication, testing::ImageLoad(1, 2, 3, bad_path)));
  CHECK(decoded.decode_error.empty());
  CHECK(decoded.summary ==
        "<error> [device path: device path node at offset 0 has length 0 (< 4)]");
}

// UEFI_IMAGE_LOAD_EVENT as TCG PC Client PFP 1.05 section 10.2.3 lays it out, written field
// by field here rather than with testing::ImageLoad.
Bytes ImageLoadEventBytes(uint64_t location, uint64_t length, uint64_t link_time_address,
                          const Bytes& device_path) {
  return Builder()
      .U64(location)            // ImageLocationInMemory
      .U64(length)              // ImageLengthInMemory
      .U64(link_time_address)   // ImageLinkTimeAddress
      .U64(device_path.size())  // LengthOfDevicePath
      .Raw(device_path)         // DevicePath[LengthOfDevicePath]
      .Build();
}

TEST_CASE("decode: a kernel grub loaded from memory has no device path, which is not an error",
          "[eventlog_decode]") {
  // Debian grub 2.06 `linuxefi` under shim: the kernel's EV_EFI_BOOT_SERVICES_APPLICATION has
  // LengthOfDevicePath 0 (and can be logged twice in a row with the same digest).
  const Bytes data = ImageLoadEventBytes(0x3d8f2000, 0x7c5a08, 0, {});
  REQUIRE(data.size() == 32);
  for (int copy = 0; copy < 2; ++copy) {
    INFO("copy " << copy);
    const DecodedEvent decoded =
        DecodeEvent(MakeEvent(4, kEvEfiBootServicesApplication, data, Bytes(32, 0x4b)));
    CHECK(decoded.decode_error.empty());
    CHECK(decoded.summary == "(none: loaded from memory)");
    CHECK(decoded.summary.find("<error>") == std::string::npos);
    const ImageLoadEvent& image = As<ImageLoadEvent>(decoded);
    CHECK(image.location == 0x3d8f2000);
    CHECK(image.length == 0x7c5a08);
    CHECK(image.link_time_address == 0);
    CHECK(image.device_path_length == 0);
    CHECK(image.device_path_bytes.empty());
    CHECK(image.device_path.text == "(none: loaded from memory)");
    CHECK(image.device_path.text == kNoDevicePathText);
    CHECK(image.device_path.error.empty());
    CHECK(image.device_path.file.empty());
    CHECK(decoded.data_check.overall == DataCheck::kInformational);
  }
}

TEST_CASE("decode: image load event with a zero-length device path and trailing padding",
          "[eventlog_decode]") {
  // Extra bytes after the structure are allowed (some firmware pads); the path is still none.
  Bytes data = ImageLoadEventBytes(0x1000, 0x2000, 0x3000, {});
  data.insert(data.end(), 8, 0);
  auto image = ParseImageLoadEvent(data);
  REQUIRE(image.ok());
  CHECK(image->device_path_length == 0);
  CHECK(image->device_path.text == "(none: loaded from memory)");
  CHECK(image->device_path.error.empty());
}

TEST_CASE("decode: an image load event cut anywhere in its 32-byte header is malformed",
          "[eventlog_decode]") {
  const Bytes data = ImageLoadEventBytes(0x1000, 0x2000, 0, {});
  for (size_t n = 0; n < data.size(); ++n) {
    INFO("size " << n);
    const Bytes cut(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_FALSE(ParseImageLoadEvent(cut).ok());
    const DecodedEvent decoded = DecodeEvent(MakeEvent(4, kEvEfiBootServicesApplication, cut));
    CHECK_FALSE(decoded.decode_error.empty());
  }
  // LengthOfDevicePath beyond the data is still an error, not "loaded from memory".
  Bytes longer = data;
  longer[24] = 4;
  auto image = ParseImageLoadEvent(longer);
  CHECK(image.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("decode: an image load event whose path is only the end node is not 'from memory'",
          "[eventlog_decode]") {
  const DecodedEvent decoded = DecodeEvent(MakeEvent(
      4, kEvEfiBootServicesApplication, ImageLoadEventBytes(1, 2, 3, testing::EndNode())));
  const ImageLoadEvent& image = As<ImageLoadEvent>(decoded);
  CHECK(image.device_path_length == 4);
  CHECK(image.device_path.text.empty());
  CHECK(image.device_path.error.empty());
  CHECK(decoded.summary == "image with an empty device path");
}

TEST_CASE("decode: an empty EV_S_CRTM_VERSION is an empty version, not an error",
          "[eventlog_decode]") {
  // No bytes at all, an empty UTF-16 string (its NUL only), and an empty ASCII string.
  for (const Bytes& data : {Bytes{}, Bytes{0x00, 0x00}, Bytes{0x00}}) {
    INFO("size " << data.size());
    const DecodedEvent crtm = DecodeEvent(MakeEvent(0, kEvSCrtmVersion, data));
    CHECK(crtm.decode_error.empty());
    CHECK(As<TextEvent>(crtm).text.empty());
    CHECK(crtm.summary == "CRTM version (empty)");
    CHECK(crtm.trusted());
  }
}

TEST_CASE("decode: text events", "[eventlog_decode]") {
  const DecodedEvent action = DecodeEvent(MakeEvent(
      4, kEvEfiAction, Builder().Str("Calling EFI Application from Boot Option").Build()));
  CHECK(action.summary == "Calling EFI Application from Boot Option");
  CHECK(As<TextEvent>(action).text == "Calling EFI Application from Boot Option");
  const DecodedEvent crtm =
      DecodeEvent(MakeEvent(0, kEvSCrtmVersion, Builder().Utf16("1.00").Build()));
  CHECK(crtm.summary == "CRTM version 1.00");
  CHECK(As<TextEvent>(crtm).utf16);
  const DecodedEvent crtm_raw = DecodeEvent(MakeEvent(0, kEvSCrtmVersion, {0x01, 0x02, 0x03}));
  CHECK(crtm_raw.summary == "CRTM version 3 bytes: 010203");
  const DecodedEvent post =
      DecodeEvent(MakeEvent(0, kEvPostCode, Builder().Str("ACPI DATA").Build()));
  CHECK(post.summary == "ACPI DATA");
  CHECK(DecodeEvent(MakeEvent(0, kEvPostCode, Bytes(6, 0))).summary == "(empty text)");
  const DecodedEvent empty_ipl = DecodeEvent(MakeEvent(9, kEvIpl, {0}));
  CHECK(empty_ipl.summary == "1 bytes: 00");
  const DecodedEvent binary_action = DecodeEvent(MakeEvent(4, kEvEfiAction, {0x01, 0x02}));
  CHECK(binary_action.decode_error == "data is not text");
}

TEST_CASE("decode: firmware blobs", "[eventlog_decode]") {
  const DecodedEvent blob = DecodeEvent(
      MakeEvent(0, kEvEfiPlatformFirmwareBlob, Builder().U64(0xFFC00000).U64(0x400000).Build()));
  CHECK(blob.summary == "base 0xffc00000 length 0x400000");
  const DecodedEvent blob2 = DecodeEvent(
      MakeEvent(0, kEvEfiPlatformFirmwareBlob2,
                Builder().U8(9).Str("DXEFV.Fv").U8(0).U64(0x820000).U64(0xD00000).Build()));
  CHECK(As<FirmwareBlob>(blob2).description == "DXEFV.Fv");
  CHECK(blob2.summary == "DXEFV.Fv base 0x820000 length 0xd00000");
  const DecodedEvent post = DecodeEvent(MakeEvent(0, kEvPostCode, Builder().U64(1).U64(2).Build()));
  CHECK(post.summary == "base 0x1 length 0x2");
}

TEST_CASE("decode: GPT event", "[eventlog_decode]") {
  const DecodedEvent decoded = DecodeEvent(MakeEvent(5, kEvEfiGptEvent, GptData()));
  CHECK(decoded.summary ==
        "GPT disk 6a8d2f4c-1b3e-4d5f-9a7b-0c1d2e3f4a5b: 1 partitions (EFI System)");
  const GptEvent& gpt = As<GptEvent>(decoded);
  CHECK(gpt.number_of_partition_entries == 128);
  REQUIRE(gpt.partitions.size() == 1);
  CHECK(gpt.partitions[0].type.ToString() == "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
  CHECK(gpt.partitions[0].unique == kOwner);
  CHECK(gpt.partitions[0].starting_lba == 2048);
  CHECK(gpt.partitions[0].name == "EFI System");
  CHECK(decoded.trusted());
}

TEST_CASE("decode: grub and shim EV_IPL strings", "[eventlog_decode]") {
  const DecodedEvent cmd = DecodeEvent(
      MakeEvent(8, kEvIpl, Builder().Str("grub_cmd: linux /vmlinuz root=/dev/vda1").U8(0).Build(),
                Builder().Str("linux /vmlinuz root=/dev/vda1").Build()));
  CHECK(cmd.summary == "grub_cmd: linux /vmlinuz root=/dev/vda1");
  CHECK(As<IplString>(cmd).kind == IplString::Kind::kGrubCommand);
  CHECK(As<IplString>(cmd).text == "linux /vmlinuz root=/dev/vda1");
  CHECK(cmd.trusted());
  const DecodedEvent cmdline = DecodeEvent(
      MakeEvent(8, kEvIpl, Builder().Str("kernel_cmdline: /vmlinuz ro quiet").U8(0).Build(),
                Builder().Str("/vmlinuz ro quiet").Build()));
  CHECK(As<IplString>(cmdline).kind == IplString::Kind::kKernelCmdline);
  CHECK(cmdline.trusted());
  const DecodedEvent file = DecodeEvent(
      MakeEvent(9, kEvIpl, Builder().Str("/boot/vmlinuz-6.1.0-13-amd64").U8(0).Build(), Bytes(9)));
  CHECK(file.summary == "/boot/vmlinuz-6.1.0-13-amd64");
  CHECK(As<IplString>(file).kind == IplString::Kind::kOther);
  CHECK_FALSE(file.trusted());
  const DecodedEvent mok =
      DecodeEvent(MakeEvent(14, kEvIpl, Builder().Str("MokList").U8(0).Build(), Bytes(3)));
  CHECK(mok.summary == "MokList");
  const DecodedEvent utf16 =
      DecodeEvent(MakeEvent(12, kEvIpl, Builder().Utf16("Kernel cmdline").Build(), Bytes(3)));
  CHECK(utf16.summary == "Kernel cmdline");
  CHECK(As<IplString>(utf16).utf16);
}

TEST_CASE("decode: EV_EVENT_TAG lists", "[eventlog_decode]") {
  const DecodedEvent initrd = DecodeEvent(
      MakeEvent(9, kEvEventTag, Builder().U32(0x8F3B22ED).U32(13).Str("Linux initrd").U8(0).Build(),
                Bytes(1)));
  CHECK(initrd.summary == "tag 0x8f3b22ed: Linux initrd");
  REQUIRE(As<TaggedEvents>(initrd).events.size() == 1);
  CHECK(As<TaggedEvents>(initrd).events[0].id == 0x8F3B22ED);
  const DecodedEvent two = DecodeEvent(MakeEvent(
      9, kEvEventTag, Builder().U32(1).U32(2).Raw({0xAB, 0x01}).U32(2).U32(0).Build(), Bytes(1)));
  CHECK(two.summary == "tag 0x00000001: 2 bytes: ab01; tag 0x00000002: 0 bytes");
  const DecodedEvent bad =
      DecodeEvent(MakeEvent(9, kEvEventTag, Builder().U32(1).U32(100).Build()));
  CHECK(bad.decode_error == "offset 8: truncated taggedEventData: need 100 bytes, 0 left");
}

TEST_CASE("decode: EV_NO_ACTION signatures, short ones included", "[eventlog_decode]") {
  const DecodedEvent locality =
      DecodeEvent(MakeEvent(0, kEvNoAction, Builder().Str("StartupLocality").U8(0).U8(3).Build()));
  CHECK(locality.summary == "StartupLocality 3");
  CHECK(As<NoActionEvent>(locality).startup_locality == 3);
  CHECK(locality.data_check.overall == DataCheck::kNotApplicable);
  const DecodedEvent spec = DecodeEvent(
      MakeEvent(0, kEvNoAction, Builder().Str("Spec ID Event03").U8(0).U32(0).U8(0).Build()));
  CHECK(As<NoActionEvent>(spec).signature == "Spec ID Event03");
  const DecodedEvent short_event = DecodeEvent(MakeEvent(0, kEvNoAction, {1, 2, 3}));
  CHECK(short_event.decode_error.empty());
  CHECK(short_event.summary == "no action: 3 bytes: 010203");
}

TEST_CASE("decode: handoff tables", "[eventlog_decode]") {
  const Guid acpi = testing::G("8868e871-e4f1-11d3-bc22-0080c73c8881");
  const DecodedEvent t1 = DecodeEvent(
      MakeEvent(1, kEvEfiHandoffTables, Builder().U64(1).GuidBytes(acpi).U64(0x7fb7e000).Build()));
  CHECK(t1.summary == "1 table (8868e871-e4f1-11d3-bc22-0080c73c8881 at 0x7fb7e000)");
  const DecodedEvent t2 =
      DecodeEvent(MakeEvent(1, kEvEfiHandoffTables2, Builder().U8(4).Str("SMBI").U64(0).Build()));
  CHECK(t2.summary == "SMBI: 0 tables");
  const DecodedEvent huge =
      DecodeEvent(MakeEvent(1, kEvEfiHandoffTables, Builder().U64(1ULL << 40).Build()));
  CHECK(huge.decode_error == "handoff table count 1099511627776 exceeds the limit of 1024");
}

TEST_CASE("decode: unknown types are raw bytes, never an error", "[eventlog_decode]") {
  const DecodedEvent decoded = DecodeEvent(MakeEvent(3, 0x800000F0, Bytes(40, 0xAB)));
  CHECK(decoded.decode_error.empty());
  CHECK(std::holds_alternative<RawData>(decoded.content));
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "ab";
  CHECK(decoded.summary == "40 bytes: " + hex + "...");
}

TEST_CASE("decode: an edited SecureBoot variable decodes but is not trusted", "[eventlog_decode]") {
  const Bytes measured = testing::UefiVariableData(kEfiGlobalVariableGuid, "SecureBoot", {0});
  const Bytes shown = testing::UefiVariableData(kEfiGlobalVariableGuid, "SecureBoot", {1});
  const DecodedEvent decoded =
      DecodeEvent(MakeEvent(7, kEvEfiVariableDriverConfig, shown, measured));
  CHECK(decoded.summary == "SecureBoot = 01 (enabled)");
  CHECK(decoded.data_check.overall == DataCheck::kMismatch);
  CHECK_FALSE(decoded.trusted());
}

TEST_CASE("decode: a variable relabelled as an application is not a variable",
          "[eventlog_decode]") {
  Event event = MakeEvent(7, kEvEfiVariableDriverConfig,
                          testing::UefiVariableData(kEfiGlobalVariableGuid, "SecureBoot", {1}));
  event.type = kEvEfiBootServicesApplication;
  const DecodedEvent decoded = DecodeEvent(event);
  CHECK_FALSE(std::holds_alternative<UefiVariable>(decoded.content));
  CHECK_FALSE(decoded.trusted());
}

TEST_CASE("decode: every truncation of every payload kind is reported, never a crash",
          "[eventlog_decode]") {
  const Bytes option = Builder().U32(1).U16(4).Utf16("x").Raw(testing::EndNode()).Build();
  const std::vector<std::pair<uint32_t, Bytes>> payloads = {
      {kEvSeparator, {0, 0, 0, 0}},
      {kEvEfiVariableDriverConfig, DbVariable()},
      {kEvEfiVariableBoot, testing::UefiVariableData(kEfiGlobalVariableGuid, "Boot0000", option)},
      {kEvEfiVariableAuthority, DbVariable()},
      {kEvEfiBootServicesApplication, ShimImage()},
      {kEvEfiGptEvent, GptData()},
      {kEvEfiPlatformFirmwareBlob, Builder().U64(1).U64(2).Build()},
      {kEvEfiPlatformFirmwareBlob2, Builder().U8(3).Str("abc").U64(1).U64(2).Build()},
      {kEvEventTag, Builder().U32(1).U32(4).U32(7).Build()},
      {kEvEfiHandoffTables, Builder().U64(1).GuidBytes(kOwner).U64(5).Build()},
      {kEvEfiHandoffTables2, Builder().U8(1).Str("x").U64(1).GuidBytes(kOwner).U64(5).Build()},
  };
  for (const auto& [type, full] : payloads) {
    const DecodedEvent whole = DecodeEvent(MakeEvent(7, type, full));
    INFO(EventTypeName(type) << ": " << whole.summary);
    REQUIRE(whole.decode_error.empty());
    for (size_t n = 0; n < full.size(); ++n) {
      INFO("size " << n);
      const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      const DecodedEvent decoded = DecodeEvent(MakeEvent(7, type, cut));
      CHECK_FALSE(decoded.summary.empty());
      const bool reported = !decoded.decode_error.empty();
      bool device_path_error = false;
      if (const auto* image = std::get_if<ImageLoadEvent>(&decoded.content)) {
        device_path_error = !image->device_path.error.empty();
      }
      bool list_error = false;
      if (const auto* var = std::get_if<UefiVariable>(&decoded.content)) {
        list_error = !var->signature_list_error.empty();
      }
      // A cut tag list can still be a complete list of fewer tags (cut at 0 is "no tags").
      const bool may_be_valid = type == kEvEventTag && n == 0;
      CHECK((reported || device_path_error || list_error || may_be_valid));
    }
  }
}

TEST_CASE("decode: corrupting lengths at every offset never crashes", "[eventlog_decode]") {
  const std::vector<std::pair<uint32_t, Bytes>> payloads = {
      {kEvEfiVariableDriverConfig, DbVariable()},
      {kEvEfiBootServicesApplication, ShimImage()},
      {kEvEfiGptEvent, GptData()},
  };
  for (const auto& [type, full] : payloads) {
    for (size_t offset = 0; offset < full.size(); ++offset) {
      for (uint8_t value : {0x00, 0x01, 0x7F, 0xFF}) {
        Bytes corrupt = full;
        corrupt[offset] = value;
        const DecodedEvent decoded = DecodeEvent(MakeEvent(7, type, corrupt));
        CHECK_FALSE(decoded.summary.empty());
      }
    }
  }
}

}  // namespace
}  // namespace bootgate::eventlog

namespace bootgate::eventlog {
namespace {

// The cache may only share a decoding between events whose every input byte is the same: a
// digest the data does not hash to (TCG PFP: the digest is over the data for this type)
// must never borrow the verified result of the same data with its true digest.
TEST_CASE("decode cache: keyed by PCR, type, digests and data", "[eventlog_decode][cache]") {
  const Bytes data = testing::UefiVariableData(kEfiGlobalVariableGuid, "SecureBoot", Bytes{1});
  const Event genuine = MakeEvent(7, kEvEfiVariableDriverConfig, data);
  Event forged = genuine;
  forged.digests[1].digest[0] ^= 0xFF;  // the SHA-256 digest no longer covers the data

  std::shared_ptr<const DecodedEvent> first = DecodeEventCached(genuine);
  std::shared_ptr<const DecodedEvent> again = DecodeEventCached(genuine);
  CHECK(first == again);  // the same bytes: decoded once
  CHECK(first->trusted());
  CHECK(first->summary == DecodeEvent(genuine).summary);

  std::shared_ptr<const DecodedEvent> other = DecodeEventCached(forged);
  CHECK(other != first);
  CHECK_FALSE(other->trusted());
  CHECK(other->data_check.overall == DecodeEvent(forged).data_check.overall);

  Event other_pcr = genuine;
  other_pcr.pcr = 1;
  CHECK(DecodeEventCached(other_pcr) != first);
  Event other_type = genuine;
  other_type.type = kEvEfiVariableBoot;
  CHECK(DecodeEventCached(other_type) != first);
}

TEST_CASE("decode cache: data over 16 KiB is decoded every time", "[eventlog_decode][cache]") {
  const Event big = MakeEvent(14, kEvIpl, Bytes(16 * 1024 + 1, 'a'));
  std::shared_ptr<const DecodedEvent> first = DecodeEventCached(big);
  CHECK(DecodeEventCached(big) != first);
  CHECK(first->summary == DecodeEvent(big).summary);
}

}  // namespace
}  // namespace bootgate::eventlog
