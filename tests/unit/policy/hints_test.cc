// Every hint the policy evaluator can emit names fields, flags and commands that exist: each
// finding code is driven here, and in each hint
//   - a `bootgate ...` command line parses with the real command tree (cli::DryParse),
//   - a policy snippet (`field: value`) parses with protobuf's TextFormat into the message
//     that the next GROUP.path after it names (e.g. `unpinned: true` in debian-12.firmware),
//   - every GROUP.path names a field of HostGroup,
//   - any other `...` span is a command of a known outside tool.
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/command_tree.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "tests/unit/policy/testdata.h"
#include "verifier/policy/evaluate.h"

namespace bootgate::policy {
namespace {

using appraisal::Finding;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using testing::Bytes32;
using testing::Context;
using testing::GoodPolicy;
using testing::GoodState;
using testing::Hex64;

// Every code evaluate.h lists: a code the evaluator gains must be driven here too.
const std::set<std::string> kAllCodes = {"no-policy-for-host",
                                         "empty-baseline-layer",
                                         "layer-unpinned",
                                         "clock-not-safe",
                                         "bank-missing",
                                         "pcr-not-quoted",
                                         "digest-bank-missing",
                                         "crtm-version-not-allowed",
                                         "firmware-not-allowed",
                                         "pcr0-not-allowed",
                                         "secure-boot-not-measured",
                                         "secure-boot-disabled",
                                         "secure-boot-setup-mode",
                                         "secure-boot-not-required",
                                         "pk-not-allowed",
                                         "kek-not-allowed",
                                         "db-cert-not-allowed",
                                         "dbx-missing-revocation",
                                         "dbx-too-small",
                                         "authority-not-in-db",
                                         "authority-not-in-measured-db",
                                         "authority-not-allowed",
                                         "secure-boot-variable-not-measured",
                                         "image-not-allowed",
                                         "boot-loader-missing",
                                         "kernel-not-measured",
                                         "kernel-not-allowed",
                                         "hypervisor-not-allowed",
                                         "dom0-kernel-not-allowed",
                                         "dom0-kernel-not-measured",
                                         "module-not-allowed",
                                         "multiboot-file-not-measured",
                                         "cmdline-not-measured",
                                         "cmdline-mismatch",
                                         "cmdline-missing-arg",
                                         "cmdline-forbidden-arg",
                                         "initrd-not-allowed",
                                         "initrd-not-measured",
                                         "grub-command-added",
                                         "grub-command-removed",
                                         "grub-command-changed",
                                         "grub-command-not-allowed",
                                         "grub-config-changed"};

// Outside tools a hint may quote as a command.
const std::set<std::string> kOtherTools = {"sha256sum", "tpm2_pcrallocate", "tpm2_quote"};

bootstate::BootImage File(uint32_t event, char digest, const std::string& path) {
  bootstate::BootImage image;
  image.event_index = event;
  image.digests = {{crypto::HashAlg::kSha256, Bytes32(digest)}};
  image.path = path;
  return image;
}

bootstate::GrubLoad Load(uint32_t event, const std::string& path,
                         std::optional<bootstate::BootImage> file) {
  bootstate::GrubLoad load;
  load.kind =
      event == 40 ? bootstate::GrubLoad::Kind::kHypervisor : bootstate::GrubLoad::Kind::kModule;
  load.command_event = event;
  load.command = absl::StrCat(event == 40 ? "multiboot2 " : "module2 ", path);
  load.path = path;
  load.file = std::move(file);
  return load;
}

// A Xen host: hypervisor 'x', dom0 kernel 'y', initrd 'z' (files grub measured in PCR 9).
bootstate::BootState XenState() {
  bootstate::BootState s = GoodState();
  s.kernel.image.reset();
  s.kernel.multiboot = {Load(40, "/boot/xen.gz", File(41, 'a', "/boot/xen.gz")),
                        Load(42, "/boot/vmlinuz", File(43, 'b', "/boot/vmlinuz")),
                        Load(44, "/boot/initrd.img", File(45, 'c', "/boot/initrd.img"))};
  return s;
}

v1::Policy XenPolicy() {
  v1::Policy p = GoodPolicy();
  v1::KernelBaseline& k = *p.mutable_groups(0)->mutable_kernel();
  k.clear_allowed();
  auto add = [](google::protobuf::RepeatedPtrField<v1::Image>* list, char c) {
    v1::Image* i = list->Add();
    i->set_name("f");
    i->set_sha256(Hex64(c));
  };
  add(k.mutable_multiboot()->mutable_hypervisor(), 'a');
  add(k.mutable_multiboot()->mutable_dom0_kernel(), 'b');
  add(k.mutable_multiboot()->mutable_modules(), 'c');
  return p;
}

// Every finding of every scenario that drives the evaluator off the good path.
std::vector<Finding> DriveEveryFinding() {
  std::vector<Finding> all;
  auto run = [&](const bootstate::BootState& s, const v1::Policy& p,
                 const EvaluationContext& c = Context()) {
    for (Finding& f : Evaluate(s, c, p)) all.push_back(std::move(f));
  };
  const bootstate::BootState good = GoodState();
  run(good, GoodPolicy(), Context("stranger"));
  for (int layer = 0; layer < 4; ++layer) {
    for (bool unpinned : {false, true}) {
      v1::Policy p = GoodPolicy();
      v1::HostGroup& g = *p.mutable_groups(0);
      if (layer == 0) g.mutable_firmware()->Clear(), g.mutable_firmware()->set_unpinned(unpinned);
      if (layer == 1) {
        g.mutable_secure_boot()->Clear();
        g.mutable_secure_boot()->set_unpinned(unpinned);
      }
      if (layer == 2) {
        g.mutable_boot_loader()->Clear();
        g.mutable_boot_loader()->set_unpinned(unpinned);
      }
      if (layer == 3) g.mutable_kernel()->clear_allowed();
      run(good, p);
    }
  }
  EvaluationContext c = Context();
  c.clock_safe = false;
  c.quoted_pcrs->at(crypto::HashAlg::kSha256) = {0, 1, 2, 3};
  run(good, GoodPolicy(), c);
  bootstate::BootState s = good;
  s.banks = {crypto::HashAlg::kSha1};
  s.boot_loader.loaders[0].digests = {{crypto::HashAlg::kSha1, crypto::Digest(20, 1)}};
  s.firmware.crtm_version = "other 1.0";
  s.firmware.blobs[0].digests[crypto::HashAlg::kSha256] = Bytes32('c');
  s.firmware.pcr0[crypto::HashAlg::kSha256] = Bytes32('c');
  run(s, GoodPolicy());

  s = good;
  s.secure_boot.enabled = false;
  s.secure_boot.setup_mode = true;
  s.secure_boot.pk->entries[0].sha256 = Hex64('f');
  s.secure_boot.kek->entries[0].sha256 = Hex64('f');
  s.secure_boot.db->entries.push_back({bootstate::SignatureEntry::Kind::kX509, Hex64('f'), "", ""});
  s.secure_boot.dbx->entries.pop_back();
  s.secure_boot.dbx->entries[0].sha256 = Hex64('3');
  s.secure_boot.authorities[0].certificate->sha256 = Hex64('9');
  s.secure_boot.authorities.push_back({27, "db", std::nullopt});
  s.secure_boot.authorities.push_back(
      {28, "db",
       bootstate::SignatureEntry{bootstate::SignatureEntry::Kind::kX509, Hex64('f'), "", ""}});
  v1::Policy p = GoodPolicy();
  p.mutable_groups(0)->mutable_secure_boot()->add_shim_authorities()->set_sha256(Hex64('4'));
  run(s, p);
  s.secure_boot.enabled.reset();
  s.secure_boot.kek.reset();
  run(s, p);
  p = GoodPolicy();
  p.mutable_groups(0)->mutable_secure_boot()->Clear();
  p.mutable_groups(0)->mutable_secure_boot()->set_required(false);
  run(s, p);

  for (const char* path : {"\\EFI\\debian\\grubx64.efi", "", "(none: loaded from memory)"}) {
    s = good;
    s.boot_loader.loaders[1].digests[crypto::HashAlg::kSha256] = Bytes32('9');
    s.boot_loader.loaders[1].path = path;
    s.kernel.image->digests[crypto::HashAlg::kSha256] = Bytes32('8');
    s.kernel.image->path = path;
    s.kernel.command_line = "/boot/vmlinuz quiet init=/bin/sh";
    run(s, GoodPolicy());
  }
  s = good;
  s.kernel.image.reset();
  s.kernel.command_line.reset();
  run(s, GoodPolicy());
  // A kernel grub started without LoadImage, known by the file it read (PCR 9).
  s = good;
  s.kernel.image.reset();
  bootstate::BootImage file{.event_index = 40, .digests = {}, .path = "/vmlinuz"};
  file.digests[crypto::HashAlg::kSha256] = Bytes32('7');
  s.kernel.grub_linux = bootstate::GrubLoad{.kind = bootstate::GrubLoad::Kind::kLinux,
                                            .command_event = 39,
                                            .command = "linux /vmlinuz ro",
                                            .path = "/vmlinuz",
                                            .file = file};
  run(s, GoodPolicy());
  // A command line known only as the EFI stub's load options digest.
  s = good;
  s.kernel.command_line.reset();
  s.kernel.load_options = bootstate::BootImage{.event_index = 22, .digests = {}, .path = ""};
  s.kernel.load_options->digests[crypto::HashAlg::kSha256] = Bytes32('3');
  run(s, GoodPolicy());
  // A kernel started by the firmware where the group's chain has loaders.
  s = good;
  s.boot_loader.loaders.clear();
  run(s, GoodPolicy());

  // The initrd: another one, one grub did not measure, and the rule empty or unpinned.
  s = good;
  s.kernel.grub_initrd[0].file->digests[crypto::HashAlg::kSha256] = Bytes32('e');
  s.kernel.grub_initrd.push_back(s.kernel.grub_initrd[0]);
  s.kernel.grub_initrd[1].file.reset();
  run(s, GoodPolicy());
  // grub: a command added, one removed, one changed, a grub.cfg changed elsewhere.
  s = good;
  s.boot_loader.grub_commands.insert(s.boot_loader.grub_commands.begin(), {30, "insmod evil"});
  s.boot_loader.grub_commands.erase(s.boot_loader.grub_commands.begin() + 2);
  s.boot_loader.grub_commands.back().text = "boot --now";
  run(s, GoodPolicy());
  s = good;
  s.boot_loader.grub_config_files[0].digests[crypto::HashAlg::kSha256] = Bytes32('e');
  run(s, GoodPolicy());
  for (bool unpinned : {false, true}) {
    v1::Policy p = GoodPolicy();
    p.mutable_groups(0)->mutable_kernel()->clear_initrd();
    p.mutable_groups(0)->mutable_kernel()->mutable_initrd()->set_unpinned(unpinned);
    p.mutable_groups(0)->mutable_boot_loader()->clear_grub();
    p.mutable_groups(0)->mutable_boot_loader()->mutable_grub()->set_unpinned(unpinned);
    run(good, p);
  }
  v1::Policy patterns = GoodPolicy();
  patterns.mutable_groups(0)->mutable_boot_loader()->mutable_grub()->Clear();
  patterns.mutable_groups(0)->mutable_boot_loader()->mutable_grub()->add_command_patterns("boot");
  run(good, patterns);

  s = XenState();
  run(s, XenPolicy());  // the good Xen boot: no finding
  for (bootstate::GrubLoad& load : s.kernel.multiboot) {
    load.file->digests[crypto::HashAlg::kSha256] = Bytes32('d');
  }
  run(s, XenPolicy());
  s.kernel.multiboot[0].file.reset();
  v1::Policy q = XenPolicy();
  q.mutable_groups(0)->mutable_kernel()->mutable_multiboot()->clear_modules();
  q.mutable_groups(0)->mutable_kernel()->mutable_multiboot()->set_modules_unpinned(true);
  run(s, q);
  s.kernel.multiboot.resize(1);
  run(s, q);
  return all;
}

// The type of the message field `path` ("kernel.multiboot") names from HostGroup, or of the
// field's message type; nullptr when a step is not a field.
const FieldDescriptor* ResolveField(const std::string& path, const Descriptor** message) {
  const Descriptor* d = v1::HostGroup::descriptor();
  const FieldDescriptor* field = nullptr;
  for (absl::string_view step : absl::StrSplit(path, '.')) {
    if (d == nullptr) return nullptr;
    field = d->FindFieldByName(std::string(step));
    if (field == nullptr) return nullptr;
    d = field->message_type();
  }
  *message = d;
  return field;
}

// "debian-12.kernel.cmdline" at `from` or later: the path after the group, or "".
std::string NextGroupPath(const std::string& text, size_t from, size_t* at) {
  const std::string prefix = absl::StrCat(testing::kGroup, ".");
  *at = text.find(prefix, from);
  if (*at == std::string::npos) return "";
  size_t end = *at + prefix.size();
  while (end < text.size() && (std::islower(static_cast<unsigned char>(text[end])) ||
                               std::isdigit(static_cast<unsigned char>(text[end])) ||
                               text[end] == '_' || text[end] == '.')) {
    ++end;
  }
  std::string path = text.substr(*at + prefix.size(), end - *at - prefix.size());
  while (!path.empty() && path.back() == '.') path.pop_back();  // end of a sentence
  return path;
}

void CheckHint(const Finding& f) {
  INFO(f.code << ": " << f.hint);
  CHECK_FALSE(f.hint.empty());
  // Every GROUP.path, in backticks or not, is a field.
  size_t at = 0;
  for (std::string path = NextGroupPath(f.hint, 0, &at); at != std::string::npos;
       path = NextGroupPath(f.hint, at + 1, &at)) {
    const Descriptor* unused = nullptr;
    INFO("path " << path);
    CHECK(ResolveField(path, &unused) != nullptr);
  }
  const std::vector<std::string> parts = absl::StrSplit(f.hint, '`');
  REQUIRE(parts.size() % 2 == 1);  // backticks come in pairs
  size_t offset = parts[0].size() + 1;
  for (size_t i = 1; i < parts.size(); i += 2) {
    const std::string& span = parts[i];
    INFO("span `" << span << "`");
    const std::vector<std::string> words = absl::StrSplit(span, ' ', absl::SkipEmpty());
    REQUIRE_FALSE(words.empty());
    if (words[0] == "bootgate") {
      const absl::Status parsed = cli::DryParse({words.begin() + 1, words.end()});
      INFO(parsed.ToString());
      CHECK(parsed.ok());
    } else if (kOtherTools.contains(words[0])) {
      // another tool's command: not ours to check
    } else {
      size_t where = 0;
      const std::string path = NextGroupPath(f.hint, offset + span.size(), &where);
      INFO("in " << path);
      const Descriptor* message = nullptr;
      REQUIRE(ResolveField(path, &message) != nullptr);
      REQUIRE(message != nullptr);
      std::unique_ptr<google::protobuf::Message> m(
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(message)->New());
      CHECK(google::protobuf::TextFormat::ParseFromString(span, m.get()));
    }
    offset += span.size() + 1 + (i + 1 < parts.size() ? parts[i + 1].size() + 1 : 0);
  }
}

TEST_CASE("every hint the evaluator emits names fields and commands that exist",
          "[policy][hints]") {
  const std::vector<Finding> all = DriveEveryFinding();
  std::set<std::string> seen;
  for (const Finding& f : all) {
    seen.insert(f.code);
    CheckHint(f);
  }
  std::vector<std::string> missing;
  for (const std::string& code : kAllCodes) {
    if (!seen.contains(code)) missing.push_back(code);
  }
  INFO("codes not driven: " << absl::StrJoin(missing, ", "));
  CHECK(missing.empty());
  for (const std::string& code : seen) {
    INFO("a code evaluate.h does not list: " << code);
    CHECK(kAllCodes.contains(code));
  }
}

TEST_CASE("the hint checker itself refuses what does not exist", "[policy][hints]") {
  // The old hints: a field KernelBaseline lacks, a command missing its argument.
  const Descriptor* message = nullptr;
  REQUIRE(ResolveField("kernel", &message) != nullptr);
  std::unique_ptr<google::protobuf::Message> m(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(message)->New());
  google::protobuf::TextFormat::Parser quiet;
  quiet.RecordErrorsTo(nullptr);
  CHECK_FALSE(quiet.ParseFromString("unpinned: true", m.get()));
  CHECK(ResolveField("kernel.unpinned", &message) == nullptr);
  CHECK_FALSE(cli::DryParse({"baseline", "learn"}).ok());
  CHECK_FALSE(cli::DryParse({"baseline", "add-image", "x.efi", "--layerz", "kernel"}).ok());
  CHECK_FALSE(cli::DryParse({"attest", "--help"}).ok());
  CHECK(cli::DryParse({"baseline", "learn", "BUNDLE", "--group", "g"}).ok());
}

}  // namespace
}  // namespace bootgate::policy
