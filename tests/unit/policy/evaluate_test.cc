#include "verifier/policy/evaluate.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/unit/policy/testdata.h"
#include "verifier/bytes/hex.h"
#include "verifier/policy/load.h"

namespace bootgate::policy {
namespace {

using appraisal::Finding;
using appraisal::Layer;
using appraisal::Severity;
using testing::Bytes32;
using testing::Codes;
using testing::Context;
using testing::GoodPolicy;
using testing::GoodPolicyText;
using testing::GoodState;
using testing::Hex64;
using testing::Only;

TEST_CASE("the good boot against its baseline has no findings, including normal authorities",
          "[policy]") {
  // GoodState logs the db authority that verified shim, shim's vendor certificate, SbatLevel
  // and MokListRT after the separator: none of them is a finding.
  const std::vector<Finding> f = Evaluate(GoodState(), Context(), GoodPolicy());
  INFO(Codes(f));
  CHECK(f.empty());
}

TEST_CASE("a host in no group is contraindicated: no-policy-for-host", "[policy]") {
  const Finding f = Only(GoodState(), GoodPolicy(), Context("stranger"));
  CHECK(f.code == "no-policy-for-host");
  CHECK(f.layer == Layer::kPolicy);
  CHECK(f.severity == Severity::kContraindicated);
  CHECK_THAT(f.message, Catch::Contains("host \"stranger\" is in no group of policy test-policy"));
}

TEST_CASE("a grub that is not in the baseline names event, PCR, digest and the fix", "[policy]") {
  bootstate::BootState s = GoodState();
  s.boot_loader.loaders[1].digests[crypto::HashAlg::kSha256] = Bytes32('9');
  const Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "image-not-allowed");
  CHECK(f.layer == Layer::kBootLoader);
  CHECK(f.pcr == 4u);
  CHECK(f.event_index == 22u);
  CHECK(f.seen == "grubx64.efi sha256 " + Hex64('9'));
  CHECK(f.allowed == "baseline debian-12.boot_loader: 2 image(s)");
  CHECK(f.message ==
        "event 22 (EV_EFI_BOOT_SERVICES_APPLICATION, PCR 4): boot loader grubx64.efi sha256 "
        "999999999999… is not in baseline debian-12.boot_loader");
  CHECK(f.hint ==
        "if this is a new release of grubx64.efi, add it with `bootgate baseline add-image "
        "grubx64.efi --policy POLICY --group debian-12 --layer boot-loader`");
}

TEST_CASE("a kernel the log names no file for gets a placeholder, never the device path text",
          "[policy]") {
  // grub loads the kernel from memory: a zero-length device path, no file name to give.
  bootstate::BootState s = GoodState();
  s.kernel.image->digests[crypto::HashAlg::kSha256] = Bytes32('8');
  for (const char* path :
       {"", "(none: loaded from memory)", "<error>", "PciRoot(0x0)/Pci(0x1,0x1)/Ata(0x0)"}) {
    s.kernel.image->path = path;
    const Finding f = Only(s, GoodPolicy());
    INFO(path);
    CHECK(f.code == "kernel-not-allowed");
    CHECK_THAT(f.hint, Catch::Contains("`bootgate baseline add-image KERNEL_FILE --policy POLICY "
                                       "--group debian-12 --layer kernel`"));
    CHECK_THAT(f.hint, !Catch::Contains("<error>") && !Catch::Contains("add-image image"));
  }
}

TEST_CASE("an empty kernel image list does not hide the command line's findings", "[policy]") {
  v1::Policy p = GoodPolicy();
  p.mutable_groups(0)->mutable_kernel()->clear_allowed();
  bootstate::BootState s = GoodState();
  s.kernel.command_line = "/boot/vmlinuz-6.1.0-18-amd64 root=UUID=3f7c quiet init=/bin/sh";
  const std::vector<Finding> f = Evaluate(s, Context(), p);
  CHECK(Codes(f) ==
        "empty-baseline-layer,cmdline-mismatch,cmdline-missing-arg,"
        "cmdline-forbidden-arg");
  s.kernel.command_line.reset();
  CHECK(Codes(Evaluate(s, Context(), p)) == "empty-baseline-layer,cmdline-not-measured");
}

TEST_CASE("every rule of a layer is checked when another fails: all reasons at once", "[policy]") {
  bootstate::BootState s = GoodState();
  s.firmware.crtm_version = "other-bios 1.0";
  s.firmware.pcr0[crypto::HashAlg::kSha256] = Bytes32('c');
  s.secure_boot.enabled = false;
  s.secure_boot.pk->entries[0].sha256 = Hex64('f');
  s.secure_boot.dbx->entries.pop_back();
  s.kernel.image->digests[crypto::HashAlg::kSha256] = Bytes32('8');
  s.kernel.command_line = absl::StrCat(testing::kCmdline, " init=/bin/sh");
  CHECK(Codes(Evaluate(s, Context(), GoodPolicy())) ==
        "crtm-version-not-allowed,pcr0-not-allowed,secure-boot-disabled,pk-not-allowed,"
        "dbx-too-small,kernel-not-allowed,cmdline-mismatch,cmdline-forbidden-arg");
}

TEST_CASE("a kernel that is not in the baseline, or none at all, is a kernel finding", "[policy]") {
  bootstate::BootState s = GoodState();
  s.kernel.image->digests[crypto::HashAlg::kSha256] = Bytes32('8');
  Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "kernel-not-allowed");
  CHECK(f.layer == Layer::kKernel);
  CHECK(f.event_index == 24u);
  s.kernel.image.reset();
  f = Only(s, GoodPolicy());
  CHECK(f.code == "kernel-not-measured");
}

TEST_CASE("a boot image without a sha256 digest cannot be compared", "[policy]") {
  bootstate::BootState s = GoodState();
  s.boot_loader.loaders[0].digests = {{crypto::HashAlg::kSha1, crypto::Digest(20, 1)}};
  const Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "digest-bank-missing");
  CHECK(f.event_index == 20u);
}

TEST_CASE("a changed command line names the arguments added and removed", "[policy]") {
  bootstate::BootState s = GoodState();
  s.kernel.command_line = "/boot/vmlinuz-6.1.0-18-amd64 root=UUID=3f7c ro quiet init=/bin/sh";
  const std::vector<Finding> f = Evaluate(s, Context(), GoodPolicy());
  REQUIRE(Codes(f) == "cmdline-mismatch,cmdline-forbidden-arg");
  CHECK(f[0].event_index == 30u);
  CHECK(f[0].pcr == 8u);
  CHECK_THAT(f[0].message,
             Catch::EndsWith(
                 "differs from baseline debian-12.kernel.cmdline.exact: added \"init=/bin/sh\""));
  CHECK(f[1].seen == "init=/bin/sh");
  CHECK_THAT(f[1].message, Catch::Contains("(rule \"init\")"));

  s.kernel.command_line = "/boot/vmlinuz-6.1.0-18-amd64 root=UUID=3f7c quiet";
  const std::vector<Finding> g = Evaluate(s, Context(), GoodPolicy());
  REQUIRE(Codes(g) == "cmdline-mismatch,cmdline-missing-arg");
  CHECK_THAT(g[0].message, Catch::EndsWith("removed \"ro\""));
  CHECK_THAT(g[1].message, Catch::Contains("lacks \"ro\""));

  s.kernel.command_line.reset();
  CHECK(Only(s, GoodPolicy()).code == "cmdline-not-measured");
}

// A kernel the firmware started: the only trace of its command line is the EFI stub's
// LoadOptions tag, SHA-256 of the UTF-16LE text with its NUL (as in the captured
// tests/data/realboot/direct-kernel boot: "ro console=ttyS0 panic=1 initrd=initrd").
TEST_CASE("a command line known only as the EFI stub's load options digest is checked by exact",
          "[policy]") {
  bootstate::BootState s = GoodState();
  s.kernel.command_line.reset();
  s.kernel.command_line_event.reset();
  bootstate::BootImage options{.event_index = 22, .digests = {}, .path = "LoadOptions"};
  // sha256 of UTF-16LE "ro console=ttyS0 panic=1 initrd=initrd" + NUL, from the real capture.
  options.digests[crypto::HashAlg::kSha256] =
      *bytes::FromHex("7ba9d380495ef7238d9652ff59d48a6b9a55881ee14efd126c023f483e9143d7");
  s.kernel.load_options = options;
  const std::string real = "ro console=ttyS0 panic=1 initrd=initrd";
  // GoodPolicy() with its kernel.cmdline rule replaced by `rules`.
  const auto with_cmdline = [](const std::string& rules) {
    std::string text = GoodPolicyText();
    const size_t at = text.find("    cmdline {");
    const size_t end = text.find("    }\n", at) + 6;
    text.replace(at, end - at, absl::StrCat("    cmdline { ", rules, " }\n"));
    absl::StatusOr<v1::Policy> p = LoadPolicy(text, PolicyFormat::kTextproto, "t.textproto");
    INFO(p.status().ToString());
    REQUIRE(p.ok());
    return *p;
  };
  const auto with_exact = [&](const std::string& exact, const std::string& rules) {
    return with_cmdline(absl::StrCat("exact: \"", exact, "\" ", rules));
  };
  SECTION("exact equal to the measured load options: proven, and the argument rules apply") {
    CHECK(Evaluate(s, Context(), with_exact(real, "required_args: \"ro\"")).empty());
    const Finding f = Only(s, with_exact(real, "forbidden_args: \"panic\""));
    CHECK(f.code == "cmdline-forbidden-arg");
    CHECK(f.pcr == 9u);
    CHECK(f.event_index == 22u);
  }
  SECTION("another exact command line is a mismatch on the load options event") {
    const Finding f = Only(s, with_exact(real + " init=/bin/sh", ""));
    CHECK(f.code == "cmdline-mismatch");
    CHECK(f.pcr == 9u);
    CHECK(f.event_index == 22u);
    CHECK_THAT(f.seen, Catch::Contains("7ba9d380495e"));
  }
  SECTION("argument rules alone cannot read a digest: cmdline-not-measured says so") {
    const Finding f = Only(s, with_cmdline("required_args: \"ro\""));
    CHECK(f.code == "cmdline-not-measured");
    CHECK_THAT(f.message, Catch::Contains("load options as a digest only"));
  }
}

TEST_CASE("forbidden key=value rules forbid only that value", "[policy]") {
  const v1::Policy p = GoodPolicy();
  v1::Policy q = p;
  q.mutable_groups(0)->mutable_kernel()->mutable_cmdline()->clear_exact();
  q.mutable_groups(0)->mutable_kernel()->mutable_cmdline()->add_forbidden_args("lockdown=none");
  bootstate::BootState s = GoodState();
  s.kernel.command_line = absl::StrCat(testing::kCmdline, " lockdown=integrity");
  CHECK(Evaluate(s, Context(), q).empty());
  s.kernel.command_line = absl::StrCat(testing::kCmdline, " lockdown=none");
  CHECK(Only(s, q).code == "cmdline-forbidden-arg");
}

TEST_CASE("Secure Boot off, unmeasured, or in setup mode is contraindicated", "[policy]") {
  bootstate::BootState s = GoodState();
  s.secure_boot.enabled = false;
  Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "secure-boot-disabled");
  CHECK(f.layer == Layer::kSecureBoot);
  CHECK(f.pcr == 7u);
  CHECK(f.event_index == 8u);
  s.secure_boot.enabled.reset();
  CHECK(Only(s, GoodPolicy()).code == "secure-boot-not-measured");
  s = GoodState();
  s.secure_boot.setup_mode = true;
  CHECK(Only(s, GoodPolicy()).code == "secure-boot-setup-mode");
}

TEST_CASE("required: false accepts a host without Secure Boot, with a warning that says so",
          "[policy]") {
  // Many hypervisor fleets boot without Secure Boot: a deliberate `required: false` is a
  // value of the layer, not an empty layer.
  v1::Policy p = GoodPolicy();
  v1::SecureBootBaseline& sb = *p.mutable_groups(0)->mutable_secure_boot();
  sb.Clear();
  sb.set_required(false);
  bootstate::BootState s = GoodState();
  s.secure_boot.enabled = false;
  Finding f = Only(s, p);
  CHECK(f.code == "secure-boot-not-required");
  CHECK(f.severity == Severity::kWarning);
  CHECK(f.layer == Layer::kSecureBoot);
  CHECK(f.event_index == 8u);
  CHECK_THAT(f.message, Catch::Contains("Secure Boot is disabled"));
  s.secure_boot.enabled.reset();
  CHECK(Only(s, p).code == "secure-boot-not-required");
  // A host that has Secure Boot on anyway: nothing to say.
  CHECK(Evaluate(GoodState(), Context(), p).empty());
  // Unset (not written) and nothing else: still an empty layer, fail closed.
  sb.clear_required();
  f = Only(s, p);
  CHECK(f.code == "empty-baseline-layer");
  CHECK(f.severity == Severity::kContraindicated);
}

TEST_CASE("an extra db certificate is db-cert-not-allowed unless extra db entries are allowed",
          "[policy]") {
  bootstate::BootState s = GoodState();
  s.secure_boot.db->entries.push_back(
      {bootstate::SignatureEntry::Kind::kX509, Hex64('f'), "CN=Evil CA", ""});
  const Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "db-cert-not-allowed");
  CHECK(f.event_index == 11u);
  CHECK(f.seen == "certificate \"CN=Evil CA\" sha256 " + Hex64('f'));
  v1::Policy p = GoodPolicy();
  p.mutable_groups(0)->mutable_secure_boot()->set_allow_extra_db(true);
  CHECK(Evaluate(s, Context(), p).empty());
}

TEST_CASE("an unknown PK or KEK is a finding; so is one that was not measured", "[policy]") {
  bootstate::BootState s = GoodState();
  s.secure_boot.pk->entries[0].sha256 = Hex64('f');
  CHECK(Only(s, GoodPolicy()).code == "pk-not-allowed");
  s = GoodState();
  s.secure_boot.kek->entries.push_back(
      {bootstate::SignatureEntry::Kind::kX509, Hex64('f'), "", ""});
  CHECK(Only(s, GoodPolicy()).code == "kek-not-allowed");
  s = GoodState();
  s.secure_boot.kek.reset();
  CHECK(Only(s, GoodPolicy()).code == "secure-boot-variable-not-measured");
}

TEST_CASE("a dbx without a required revocation names the missing hash; a short dbx is old",
          "[policy]") {
  bootstate::BootState s = GoodState();
  s.secure_boot.dbx->entries[0].sha256 = Hex64('3');
  Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "dbx-missing-revocation");
  CHECK(f.event_index == 12u);
  CHECK(f.allowed == "baseline debian-12.secure_boot.dbx_must_contain: " + Hex64('1'));
  s = GoodState();
  s.secure_boot.dbx->entries.pop_back();
  f = Only(s, GoodPolicy());
  CHECK(f.code == "dbx-too-small");
  CHECK(f.seen == "1 dbx entries");
}

TEST_CASE(
    "an image verified by a certificate outside the measured db is authority-not-in-measured-db",
    "[policy]") {
  bootstate::BootState s = GoodState();
  s.secure_boot.authorities[0].certificate->sha256 = Hex64('f');
  Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "authority-not-in-measured-db");
  CHECK(f.event_index == 19u);
  CHECK(f.pcr == 7u);
  CHECK_THAT(f.message, Catch::Contains("which is not in the measured db"));

  // In the measured db (extra entries allowed) but not in the baseline's db.
  s = GoodState();
  s.secure_boot.db->entries.push_back({bootstate::SignatureEntry::Kind::kX509, Hex64('f'), "", ""});
  s.secure_boot.authorities[0].certificate->sha256 = Hex64('f');
  v1::Policy p = GoodPolicy();
  p.mutable_groups(0)->mutable_secure_boot()->set_allow_extra_db(true);
  f = Only(s, p);
  CHECK(f.code == "authority-not-in-db");
  CHECK_THAT(f.message, Catch::Contains("which is not in baseline debian-12.secure_boot.db"));
}

TEST_CASE("shim authorities are checked only against a configured shim_authorities list",
          "[policy]") {
  v1::Policy p = GoodPolicy();
  auto* ref = p.mutable_groups(0)->mutable_secure_boot()->add_shim_authorities();
  ref->set_sha256(Hex64('4'));
  const Finding f = Only(GoodState(), p);
  CHECK(f.code == "authority-not-allowed");
  CHECK(f.event_index == 21u);
  ref->set_sha256(Hex64('e'));
  CHECK(Evaluate(GoodState(), Context(), p).empty());
}

TEST_CASE("firmware: CRTM version, blobs and PCR 0 are each compared", "[policy]") {
  bootstate::BootState s = GoodState();
  s.firmware.crtm_version = "other-bios 1.0";
  CHECK(Only(s, GoodPolicy()).code == "crtm-version-not-allowed");
  s = GoodState();
  s.firmware.blobs[0].digests[crypto::HashAlg::kSha256] = Bytes32('c');
  Finding f = Only(s, GoodPolicy());
  CHECK(f.code == "firmware-not-allowed");
  CHECK(f.event_index == 3u);
  CHECK(f.pcr == 0u);
  s = GoodState();
  s.firmware.pcr0[crypto::HashAlg::kSha256] = Bytes32('c');
  CHECK(Only(s, GoodPolicy()).code == "pcr0-not-allowed");
}

TEST_CASE("an empty baseline layer is contraindicated; an unpinned one is a warning", "[policy]") {
  v1::Policy p = GoodPolicy();
  p.mutable_groups(0)->mutable_boot_loader()->clear_allowed();
  Finding f = Only(GoodState(), p);
  CHECK(f.code == "empty-baseline-layer");
  CHECK(f.layer == Layer::kPolicy);
  CHECK(f.severity == Severity::kContraindicated);
  CHECK_THAT(f.message, Catch::Contains("baseline debian-12.boot_loader allows nothing"));
  p.mutable_groups(0)->mutable_boot_loader()->set_unpinned(true);
  f = Only(GoodState(), p);
  CHECK(f.code == "layer-unpinned");
  CHECK(f.severity == Severity::kWarning);

  for (int layer = 0; layer < 3; ++layer) {
    v1::Policy q = GoodPolicy();
    if (layer == 0) q.mutable_groups(0)->clear_firmware();
    if (layer == 1) q.mutable_groups(0)->clear_secure_boot();
    if (layer == 2) q.mutable_groups(0)->mutable_kernel()->clear_allowed();
    CHECK(Only(GoodState(), q).code == "empty-baseline-layer");
  }
  // A whole kernel baseline cleared: the kernel images and the initrd are both empty.
  v1::Policy q = GoodPolicy();
  q.mutable_groups(0)->clear_kernel();
  std::vector<std::string> messages;
  for (const Finding& g : Evaluate(GoodState(), Context(), q)) messages.push_back(g.message);
  REQUIRE(messages.size() == 2);
  CHECK_THAT(messages[0], Catch::Contains("debian-12.kernel allows nothing"));
  CHECK_THAT(messages[1], Catch::Contains("debian-12.kernel.initrd allows nothing"));
}

TEST_CASE("evidence: unsafe clock warns, missing banks and unquoted PCRs contraindicate",
          "[policy]") {
  EvaluationContext c = Context();
  c.clock_safe = false;
  Finding f = Only(GoodState(), GoodPolicy(), c);
  CHECK(f.code == "clock-not-safe");
  CHECK(f.severity == Severity::kWarning);
  c = Context();
  c.quoted_pcrs->at(crypto::HashAlg::kSha256) = {0, 1, 2, 3, 4, 6};
  f = Only(GoodState(), GoodPolicy(), c);
  CHECK(f.code == "pcr-not-quoted");
  CHECK(f.seen == "quote lacks sha256:5,7");
  bootstate::BootState s = GoodState();
  s.banks = {crypto::HashAlg::kSha1};
  const std::vector<Finding> all = Evaluate(s, Context(), GoodPolicy());
  CHECK(all.front().code == "bank-missing");
}

TEST_CASE("HostGroupIndex gives FindGroup's answer for every host", "[policy][evaluate]") {
  v1::Policy p;
  v1::HostGroup* a = p.add_groups();
  a->set_name("a");
  a->add_hosts("h1");
  a->add_hosts("h2");
  v1::HostGroup* b = p.add_groups();
  b->set_name("b");
  b->add_hosts("h3");
  b->add_hosts("h1");  // listed twice (validation refuses it): the first group answers
  const HostGroupIndex index(p);
  for (const std::string host : {"h1", "h2", "h3", "h4", ""}) {
    INFO(host);
    CHECK(index.Find(host) == FindGroup(p, host));
    CHECK(FindGroup(p, host, &index) == FindGroup(p, host));
    CHECK(FindGroup(p, host, nullptr) == FindGroup(p, host));
  }
  CHECK(index.Find("h1") == &p.groups(0));
  CHECK(index.Find("h3") == &p.groups(1));
  CHECK(index.Find("h4") == nullptr);
}

}  // namespace
}  // namespace bootgate::policy
