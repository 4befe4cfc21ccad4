#include "cli/baseline_learn.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/text_format.h"
#include "verifier/bootstate/multiboot.h"
#include "verifier/bytes/hex.h"

namespace bootgate::cli {
namespace {

std::optional<std::string> Sha256Hex(const bootstate::EventDigests& digests) {
  auto it = digests.find(crypto::HashAlg::kSha256);
  if (it == digests.end()) return std::nullopt;
  return bytes::ToHex(it->second);
}

// The last path component of a device path or file path, for display names.
std::string BaseName(const std::string& path, const std::string& fallback) {
  const size_t cut = path.find_last_of("/\\");
  std::string name = cut == std::string::npos ? path : path.substr(cut + 1);
  // Device path text may end in ")" of a node: keep only a file-like tail.
  if (name.empty() || name.find(')') != std::string::npos) return fallback;
  return name;
}

template <typename Field>
void AddCerts(const std::optional<bootstate::SecureBootVariable>& var, Field* field,
              bool hashes_too) {
  if (!var.has_value()) return;
  std::set<std::string> seen;
  for (const bootstate::SignatureEntry& e : var->entries) {
    if (e.sha256.empty() || !seen.insert(e.sha256).second) continue;
    if (e.kind != bootstate::SignatureEntry::Kind::kX509 && !hashes_too) continue;
    v1::CertRef* c = field->Add();
    c->set_sha256(e.sha256);
    c->set_name(e.subject.empty() ? "sha256 hash" : e.subject);
  }
}

void AddImage(const bootstate::BootImage& image, const std::string& fallback,
              const std::string& host, google::protobuf::RepeatedPtrField<v1::Image>* allowed) {
  std::optional<std::string> hex = Sha256Hex(image.digests);
  if (!hex.has_value()) return;
  for (const v1::Image& existing : *allowed) {
    if (existing.sha256() == *hex) return;
  }
  v1::Image* i = allowed->Add();
  i->set_name(BaseName(image.path, fallback));
  i->set_sha256(*hex);
  i->set_source(absl::StrCat("learned from ", host, " event ", image.event_index));
}

}  // namespace

std::string LearnedPolicyText(const v1::Policy& policy) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(policy, &text);
  // Each `required: false` that learn writes is in a secure_boot block (the only bool of that
  // name in the schema): say why, where an operator reads it.
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StripLeadingAsciiWhitespace(line) == "required: false") {
      const std::string indent(line.size() - absl::StripLeadingAsciiWhitespace(line).size(), ' ');
      absl::StrAppend(&out, indent,
                      "# Secure Boot is off on the host this was learned from: it is not "
                      "required.\n",
                      indent,
                      "# Its verdicts carry a secure-boot-not-required warning; to require it, "
                      "enable\n",
                      indent, "# Secure Boot on the hosts and write required: true.\n");
    }
    absl::StrAppend(&out, line, "\n");
  }
  if (!out.empty()) out.pop_back();  // the split added one line after the final newline
  return out;
}

v1::Policy LearnPolicy(const bootstate::BootState& s, const tpm::PcrSelection& quoted,
                       const LearnOptions& o) {
  v1::Policy p;
  p.set_name(o.policy_name.empty() ? absl::StrCat("learned-", o.group) : o.policy_name);
  p.set_version(o.version);
  v1::HostGroup* g = p.add_groups();
  g->set_name(o.group);
  g->add_hosts(o.host_id);
  for (crypto::HashAlg bank : s.banks)
    g->add_required_banks(std::string(crypto::HashAlgName(bank)));
  // The PCRs a boot chain extends (what `bootgate attest` quotes by default), in each bank the
  // bundle proves (quoted and replayed), as far as the bundle's quote covered them: the source
  // host's own evidence passes, and so does the agent's default quote on that host.
  tpm::PcrSelection required;
  for (const tpm::PcrBankSelection& b : quoted) {
    if (std::find(s.banks.begin(), s.banks.end(), b.bank) == s.banks.end()) continue;
    tpm::PcrBankSelection r{b.bank, {}};
    for (uint32_t pcr : b.pcrs) {
      if (std::find(kBootChainPcrs.begin(), kBootChainPcrs.end(), pcr) != kBootChainPcrs.end())
        r.pcrs.push_back(pcr);
    }
    if (!r.pcrs.empty()) required.push_back(std::move(r));
  }
  if (!required.empty()) {
    const std::vector<std::string> specs =
        absl::StrSplit(tpm::FormatPcrSelection(required, /*compact=*/true), '+');
    for (const std::string& spec : specs) g->add_required_pcrs(spec);
  }
  g->mutable_verdict_ttl()->set_seconds(o.verdict_ttl_seconds);

  v1::FirmwareBaseline* fw = g->mutable_firmware();
  if (s.firmware.crtm_version.has_value()) fw->add_crtm_versions(*s.firmware.crtm_version);
  std::set<std::string> blobs;
  for (const bootstate::FirmwareLayer::Blob& b : s.firmware.blobs) {
    std::optional<std::string> hex = Sha256Hex(b.digests);
    if (hex.has_value() && blobs.insert(*hex).second) fw->add_blobs(*hex);
  }
  if (std::optional<std::string> pcr0 = Sha256Hex(s.firmware.pcr0)) fw->add_pcr0(*pcr0);

  const bootstate::SecureBootLayer& sb = s.secure_boot;
  v1::SecureBootBaseline* sbb = g->mutable_secure_boot();
  // What the log shows, both ways: Secure Boot off is written as an explicit `required: false`
  // (the source host passes, with a secure-boot-not-required warning), never as an empty layer
  // that rejects it. Not measured: left unset (learn never allows what it did not see).
  if (sb.enabled.has_value()) sbb->set_required(*sb.enabled);
  AddCerts(sb.pk, sbb->mutable_pk(), /*hashes_too=*/true);
  AddCerts(sb.kek, sbb->mutable_kek(), /*hashes_too=*/true);
  AddCerts(sb.db, sbb->mutable_db(), /*hashes_too=*/true);
  if (sb.dbx.has_value()) {
    std::set<std::string> dbx;
    for (const bootstate::SignatureEntry& e : sb.dbx->entries) {
      if (e.kind == bootstate::SignatureEntry::Kind::kSha256 && dbx.insert(e.sha256).second) {
        sbb->add_dbx_must_contain(e.sha256);
      }
    }
    sbb->set_min_dbx_entries(static_cast<uint32_t>(sb.dbx->entries.size()));
  }
  std::set<std::string> shim_certs;
  for (const bootstate::Authority& a : sb.authorities) {
    if (a.variable == "db" || !a.certificate.has_value()) continue;
    if (!shim_certs.insert(a.certificate->sha256).second) continue;
    v1::CertRef* c = sbb->add_shim_authorities();
    c->set_sha256(a.certificate->sha256);
    c->set_name(a.certificate->subject.empty() ? a.variable : a.certificate->subject);
  }

  for (size_t i = 0; i < s.boot_loader.loaders.size(); ++i) {
    AddImage(s.boot_loader.loaders[i], absl::StrCat("loader-", i), o.host_id,
             g->mutable_boot_loader()->mutable_allowed());
  }
  // A kernel started by the firmware itself: the chain has no boot loader, and says so.
  if (s.boot_loader.loaders.empty() && s.kernel.image.has_value()) {
    g->mutable_boot_loader()->set_none(true);
  }
  v1::KernelBaseline* k = g->mutable_kernel();
  if (s.kernel.image.has_value()) {
    AddImage(*s.kernel.image, "kernel", o.host_id, k->mutable_allowed());
  } else if (s.kernel.grub_linux.has_value() && s.kernel.grub_linux->file.has_value()) {
    // grub started the kernel without LoadImage (Secure Boot off under shim): the file it read.
    AddImage(*s.kernel.grub_linux->file, "vmlinuz", o.host_id, k->mutable_grub_linux_files());
  } else if (!s.kernel.multiboot.empty() && s.kernel.multiboot.front().file.has_value()) {
    // A multiboot boot (Xen): pin every file grub loaded for it, by role. A load whose file
    // was not measured is left out: its role stays empty and fails closed.
    v1::MultibootBaseline* mb = k->mutable_multiboot();
    for (size_t i = 0; i < s.kernel.multiboot.size(); ++i) {
      const bootstate::GrubLoad& load = s.kernel.multiboot[i];
      if (!load.file.has_value()) continue;
      auto* field = i == 0 ? mb->mutable_hypervisor()
                           : (i == 1 ? mb->mutable_dom0_kernel() : mb->mutable_modules());
      AddImage(*load.file, i == 0 ? "hypervisor" : absl::StrCat("module-", i - 1), o.host_id,
               field);
    }
  }
  // The initrd: each file of grub's initrd command (named by the command's path) and the one
  // the EFI stub measured. A file grub did not measure is left out and fails closed.
  for (const bootstate::GrubLoad& load : s.kernel.grub_initrd) {
    if (!load.file.has_value()) continue;
    AddImage(bootstate::FileAsCommanded(load), "initrd", o.host_id,
             k->mutable_initrd()->mutable_allowed());
  }
  if (s.kernel.stub_initrd.has_value()) {
    AddImage(*s.kernel.stub_initrd, "initrd", o.host_id, k->mutable_initrd()->mutable_allowed());
  }
  if (s.kernel.command_line.has_value()) k->mutable_cmdline()->set_exact(*s.kernel.command_line);
  // grub's configuration: the exact commands it ran and the configuration files it read.
  if (!s.boot_loader.grub_commands.empty()) {
    v1::GrubRule* grub = g->mutable_boot_loader()->mutable_grub();
    for (const bootstate::GrubCommand& command : s.boot_loader.grub_commands) {
      grub->add_commands(command.text);
    }
    for (const bootstate::BootImage& file : s.boot_loader.grub_config_files) {
      AddImage(file, "grub.cfg", o.host_id, grub->mutable_config_files());
    }
  }
  return p;
}

}  // namespace bootgate::cli
