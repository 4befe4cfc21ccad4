#include "verifier/eventlog/device_path.h"

#include <catch2/catch.hpp>

#include "tests/unit/eventlog_decode/builders.h"

namespace bootgate::eventlog {
namespace {

using testing::Builder;
using testing::Bytes;
using testing::EndNode;
using testing::Node;

Bytes Join(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Guid kPart = testing::G("6a8d2f4c-1b3e-4d5f-9a7b-0c1d2e3f4a5b");

Bytes ShimPath() {
  return Join({
      Node(2, 1, Builder().U32(0x0A0341D0).U32(0).Build()),  // PciRoot(0x0)
      Node(1, 1, Builder().U8(0).U8(1).Build()),             // Pci(0x1,0x0)
      Node(3, 18, Builder().U16(0).U16(0xFFFF).U16(0).Build()),
      Node(4, 1, Builder().U32(1).U64(0x800).U64(0x100000).GuidBytes(kPart).U8(2).U8(2).Build()),
      Node(4, 4, Builder().Utf16("\\EFI\\debian\\shimx64.efi").Build()),
      EndNode(),
  });
}

TEST_CASE("device path prints the UEFI text forms", "[eventlog_decode]") {
  const DevicePathText path = DevicePathToText(ShimPath());
  CHECK(path.error.empty());
  CHECK(path.text ==
        "PciRoot(0x0)/Pci(0x1,0x0)/Sata(0x0,0xffff,0x0)/"
        "HD(1,GPT,6a8d2f4c-1b3e-4d5f-9a7b-0c1d2e3f4a5b,0x800,0x100000)/"
        "File(\\EFI\\debian\\shimx64.efi)");
  CHECK(path.file == "\\EFI\\debian\\shimx64.efi");
}

TEST_CASE("device path prints other known nodes", "[eventlog_decode]") {
  const Guid fv = testing::G("7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1");
  const Bytes mac_body =
      Builder().Raw({0x52, 0x54, 0x00, 0x12, 0x34, 0x56}).Raw(Bytes(26)).U8(1).Build();
  const Bytes path = Join({
      Node(2, 1, Builder().U32(0x0A0841D0).U32(1).Build()),
      Node(2, 1, Builder().U32(0x030341D0).U32(0).Build()),
      Node(3, 11, mac_body),
      Node(3, 2, Builder().U16(1).U16(2).Build()),
      Node(3, 5, Builder().U8(3).U8(0).Build()),
      Node(3, 23, Builder().U32(1).Raw({1, 2, 3, 4, 5, 6, 7, 8}).Build()),
      Node(1, 4, Builder().GuidBytes(fv).Raw({0xAB}).Build()),
      Node(3, 10, Builder().GuidBytes(fv).Build()),
      Node(4, 3, Builder().GuidBytes(fv).Build()),
      Node(4, 7, Builder().GuidBytes(fv).Build()),
      Node(4, 6, Builder().GuidBytes(fv).Build()),
      Node(4, 8, Builder().U32(0).U64(0x10).U64(0x20).Build()),
      Node(4, 1,
           Builder().U32(2).U64(63).U64(1000).U32(0xDEADBEEF).Raw(Bytes(12)).U8(1).U8(1).Build()),
      Node(0x7F, 0x01, {}),
      Node(9, 9, {0xCA, 0xFE}),
      EndNode(),
  });
  const DevicePathText text = DevicePathToText(path);
  CHECK(text.error.empty());
  CHECK(text.text ==
        "PcieRoot(0x1)/Acpi(PNP0303,0x0)/MAC(525400123456,0x1)/Scsi(0x1,0x2)/USB(0x3,0x0)/"
        "NVMe(0x1,01-02-03-04-05-06-07-08)/"
        "VenHw(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1,ab)/"
        "VenMsg(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/"
        "VenMedia(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/"
        "Fv(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/"
        "FvFile(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/Offset(0x10,0x20)/"
        "HD(2,MBR,0xdeadbeef,0x3f,0x3e8),Path(9,9,cafe)");
}

TEST_CASE("device path stops on a zero or short node length instead of looping",
          "[eventlog_decode]") {
  for (uint16_t length : {0, 1, 3}) {
    INFO("length " << length);
    const Bytes path =
        Join({Node(1, 1, {0, 1}), Builder().U8(4).U8(4).U16(length).Build(), EndNode()});
    const DevicePathText text = DevicePathToText(path);
    CHECK(text.text == "Pci(0x1,0x0)/<error>");
    CHECK(text.error ==
          "device path node at offset 6 has length " + std::to_string(length) + " (< 4)");
  }
}

TEST_CASE("device path stops on a node longer than the data", "[eventlog_decode]") {
  const Bytes path = Builder().U8(4).U8(4).U16(200).Utf16("x").Build();
  const DevicePathText text = DevicePathToText(path);
  CHECK(text.text == "<error>");
  CHECK(text.error == "device path node at offset 0 has length 200, beyond the 8 bytes left");
}

TEST_CASE("device path reports a missing end node and trailing bytes", "[eventlog_decode]") {
  CHECK(DevicePathToText(Node(1, 1, {0, 1})).error == "device path has no end node");
  CHECK(DevicePathToText({}).error == "device path has no end node");
  const DevicePathText trailing = DevicePathToText(Join({EndNode(), {1, 2}}));
  CHECK(trailing.error == "2 bytes follow the device path's end node");
}

TEST_CASE("device path prints a known node with a short body generically", "[eventlog_decode]") {
  CHECK(DevicePathToText(Join({Node(4, 1, {1, 2, 3}), EndNode()})).text == "Path(4,1,010203)");
  CHECK(DevicePathToText(Join({Node(1, 1, {}), EndNode()})).text == "Path(1,1)");
}

TEST_CASE("device path caps the number of nodes", "[eventlog_decode]") {
  Bytes path;
  for (int i = 0; i < 300; ++i) {
    const Bytes node = Node(1, 1, {0, 0});
    path.insert(path.end(), node.begin(), node.end());
  }
  CHECK(DevicePathToText(path).error == "device path has more than 256 nodes");
}

TEST_CASE("device path: every truncation is reported, never a crash", "[eventlog_decode]") {
  const Bytes path = ShimPath();
  for (size_t n = 0; n < path.size(); ++n) {
    INFO("size " << n);
    const DevicePathText text = DevicePathToText(bytes::ByteSpan(path).first(n));
    CHECK_FALSE(text.error.empty());
  }
}

}  // namespace
}  // namespace bootgate::eventlog
