#include "cli/baseline_command.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/baseline_learn.h"
#include "cli/bundle_evidence.h"
#include "cli/exit_codes.h"
#include "cli/file_input.h"
#include "cli/policy_io.h"
#include "google/protobuf/text_format.h"
#include "verifier/appraisal/appraise_evidence.h"
#include "verifier/bytes/hex.h"
#include "verifier/crypto/hash.h"
#include "verifier/pe/authenticode.h"
#include "verifier/policy/load.h"
#include "verifier/policy/validate.h"

namespace bootgate::cli {
namespace {

// Signed kernels and boot loaders are a few MiB; a UKI with an initrd can reach ~100 MiB.
constexpr uint64_t kMaxImageSize = 256 * 1024 * 1024;

struct AddImageFlags {
  std::vector<std::string> files;
  std::string policy_path;
  std::string group;
  std::string layer;
  std::string name;
  std::string source;
  bool all_banks = false;
};

struct LearnFlags {
  std::string bundle_dir;
  std::string group = "learned";
  std::string host;
  std::string out;
  std::string name;
  std::string version;
  int64_t ttl_seconds = 3600;
};

std::string BaseName(const std::string& path) {
  const size_t cut = path.find_last_of('/');
  return cut == std::string::npos ? path : path.substr(cut + 1);
}

// Adds `image` to the layer unless that digest is already there. Returns false if it was.
bool AddToLayer(v1::HostGroup& group, const std::string& layer, const v1::Image& image) {
  google::protobuf::RepeatedPtrField<v1::Image>* allowed =
      layer == "kernel"   ? group.mutable_kernel()->mutable_allowed()
      : layer == "initrd" ? group.mutable_kernel()->mutable_initrd()->mutable_allowed()
                          : group.mutable_boot_loader()->mutable_allowed();
  for (const v1::Image& existing : *allowed) {
    if (existing.sha256() == image.sha256()) return false;
  }
  *allowed->Add() = image;
  return true;
}

int RunAddImage(const AddImageFlags& f) {
  const bool editing = !f.policy_path.empty();
  if (editing && (f.group.empty() || f.layer.empty())) {
    return BadInput(absl::InvalidArgumentError("--policy needs --group and --layer"));
  }
  if (!f.layer.empty() && f.layer != "boot-loader" && f.layer != "kernel" && f.layer != "initrd") {
    return BadInput(absl::InvalidArgumentError(
        absl::StrCat("--layer ", f.layer, ": must be boot-loader, kernel or initrd")));
  }
  // An initrd is not a PE image: grub and the EFI stub measure the digest of its contents.
  const bool plain_digest = f.layer == "initrd";
  if (!f.name.empty() && f.files.size() > 1) {
    return BadInput(absl::InvalidArgumentError("--name names one image: give one FILE"));
  }
  v1::Policy policy;
  v1::HostGroup* group = nullptr;
  if (editing) {
    absl::StatusOr<v1::Policy> loaded = ReadPolicyFile(f.policy_path);
    if (!loaded.ok()) return BadInput(loaded.status());
    policy = *std::move(loaded);
    for (v1::HostGroup& g : *policy.mutable_groups()) {
      if (g.name() == f.group) group = &g;
    }
    if (group == nullptr) {
      return BadInput(
          absl::InvalidArgumentError(absl::StrCat(f.policy_path, ": no group named ", f.group)));
    }
  }
  std::vector<crypto::HashAlg> algs = {crypto::HashAlg::kSha256};
  if (f.all_banks)
    algs = {crypto::HashAlg::kSha1, crypto::HashAlg::kSha256, crypto::HashAlg::kSha384};
  size_t added = 0;
  for (const std::string& file : f.files) {
    absl::StatusOr<std::vector<uint8_t>> bytes = ReadFileLimited(file, kMaxImageSize);
    if (!bytes.ok()) return BadInput(bytes.status());
    std::string sha256;
    for (crypto::HashAlg alg : algs) {
      absl::StatusOr<crypto::Digest> d =
          plain_digest ? crypto::Hash(alg, *bytes) : pe::AuthenticodeDigest(alg, *bytes);
      if (!d.ok()) {
        return BadInput(absl::InvalidArgumentError(absl::StrCat(file, ": ", d.status().message())));
      }
      const std::string hex = bytes::ToHex(*d);
      if (alg == crypto::HashAlg::kSha256) sha256 = hex;
      std::cout << crypto::HashAlgName(alg) << " " << hex << "  " << file << "\n";
    }
    if (editing) {
      v1::Image image;
      image.set_name(f.name.empty() ? BaseName(file) : f.name);
      image.set_sha256(sha256);
      if (!f.source.empty()) image.set_source(f.source);
      if (AddToLayer(*group, f.layer, image)) {
        ++added;
      } else {
        std::cerr << file << ": already in " << f.group << "." << f.layer << "\n";
      }
    }
  }
  if (editing && added > 0) {
    // Re-validate what is written: a policy file on disk is always loadable.
    const std::vector<policy::ValidationError> errors = policy::ValidatePolicy(policy);
    if (!errors.empty()) {
      return BadInput(absl::InvalidArgumentError(absl::StrCat(
          f.policy_path, ": ", policy::FormatPath(errors[0].path), ": ", errors[0].message)));
    }
    absl::Status written = WritePolicyFile(policy, f.policy_path);
    if (!written.ok()) return BadInput(written);
    std::cerr << "added " << added << " image(s) to " << f.group << "." << f.layer << " in "
              << f.policy_path << "\n";
  }
  return kExitOk;
}

bool QuotesSha256(const tpm::PcrSelection& quoted) {
  for (const tpm::PcrBankSelection& bank : quoted) {
    if (bank.bank == crypto::HashAlg::kSha256 && !bank.pcrs.empty()) return true;
  }
  return false;
}

int RunLearn(const LearnFlags& f) {
  absl::StatusOr<std::unique_ptr<BundleEvidence>> e = LoadBundleEvidence(f.bundle_dir);
  if (!e.ok()) return BadInput(e.status());
  absl::StatusOr<appraisal::VerifiedEvidence> verified =
      appraisal::VerifyEvidence((*e)->evidence, (*e)->bundle.nonce);
  if (!verified.ok()) return BadInput(verified.status());
  // A baseline is only as good as the boot it was learned from: refuse evidence that does not
  // verify and boots whose log itself is suspect.
  bool refused = false;
  for (const appraisal::Finding& finding : verified->rejections) {
    std::cerr << "refused: " << finding.message << "\n";
    refused = true;
  }
  for (const appraisal::Finding& finding : verified->boot.findings) {
    const bool blocks = finding.severity == appraisal::Severity::kContraindicated;
    std::cerr << (blocks ? "refused: " : "warning: ") << finding.message << "\n";
    refused |= blocks;
  }
  if (refused) return kExitRejected;
  if (!QuotesSha256(verified->quote->quote.pcr_selection)) {
    // Only the quoted banks' digests are proven, and baselines pin SHA-256 digests.
    std::cerr << "refused: the quote covers no sha256 PCR bank, so no SHA-256 image digest in "
                 "the log is proven and no baseline can be learned from it: quote the sha256 "
                 "bank too (`bootgate attest` does by default when the TPM has it)\n";
    return kExitRejected;
  }
  LearnOptions options;
  options.group = f.group;
  options.host_id = f.host.empty() ? (*e)->bundle.host_id : f.host;
  if (options.host_id.empty()) {
    return BadInput(absl::InvalidArgumentError("no host id: meta.json has none, give --host"));
  }
  options.policy_name = f.name;
  options.version = f.version.empty()
                        ? absl::FormatTime("learned-%Y-%m-%d", absl::Now(), absl::UTCTimeZone())
                        : f.version;
  options.verdict_ttl_seconds = f.ttl_seconds;
  const v1::Policy policy =
      LearnPolicy(verified->boot.state, verified->quote->quote.pcr_selection, options);
  const v1::SecureBootBaseline& sb = policy.groups(0).secure_boot();
  if (sb.has_required() && !sb.required()) {
    std::cerr << "note: Secure Boot is off on " << options.host_id
              << ": the policy does not require it (secure_boot { required: false }); its "
                 "verdicts carry a secure-boot-not-required warning\n";
  }
  // Never write a policy that rejects the very boot it was learned from: what blocks it is
  // evidence no baseline can accept (e.g. an image verified by a certificate not in db).
  const appraisal::Appraisal own =
      appraisal::AppraiseVerifiedEvidence(*verified, policy, options.host_id, absl::Now());
  if (!own.placement_eligible) {
    for (const appraisal::Finding& finding : own.findings) {
      if (finding.severity != appraisal::Severity::kContraindicated) continue;
      std::cerr << "refused: " << finding.message << "\n";
    }
    std::cerr << "refused: no policy can accept this boot; learn from a host whose boot is "
                 "sound\n";
    return kExitRejected;
  }
  if (f.out.empty()) {
    std::cout << LearnedPolicyText(policy);
    return kExitOk;
  }
  absl::StatusOr<policy::PolicyFormat> format = policy::PolicyFormatFromPath(f.out);
  if (!format.ok()) return BadInput(format.status());
  absl::Status written = *format == policy::PolicyFormat::kTextproto
                             ? WriteFileAtomically(LearnedPolicyText(policy), f.out)
                             : WritePolicyFile(policy, f.out);
  if (!written.ok()) return BadInput(written);
  std::cerr << "wrote " << f.out << ": group " << f.group << " for host " << options.host_id
            << "\n";
  return kExitOk;
}

}  // namespace

void AddBaselineCommand(CLI::App& app, int& exit_code) {
  CLI::App* group = app.add_subcommand("baseline", "baselines: image digests and learned policies");
  group->require_subcommand(1);

  auto add = std::make_shared<AddImageFlags>();
  CLI::App* add_image = group->add_subcommand(
      "add-image",
      "Print the Authenticode digest of PE images (what firmware extends into PCR 4 for "
      "EV_EFI_BOOT_SERVICES_APPLICATION), or with --layer initrd the digest of an initrd's "
      "contents (what grub and the EFI stub measure into PCR 9); with --policy, add them to a "
      "group's boot-loader, kernel or kernel.initrd baseline and write the policy back in its "
      "own format.");
  add_image->add_option("FILE", add->files, "PE/COFF images (.efi, vmlinuz) or initrd files")
      ->required();
  add_image->add_option("--policy", add->policy_path, "policy file to add the digests to");
  add_image->add_option("--group", add->group, "host group in the policy");
  add_image->add_option("--layer", add->layer, "boot-loader, kernel or initrd");
  add_image->add_option("--name", add->name, "image name (default: the file name)");
  add_image->add_option("--source", add->source, "provenance, e.g. the package and version");
  add_image->add_flag("--all-banks", add->all_banks, "also print sha1 and sha384 digests");
  add_image->callback([add, &exit_code] { exit_code = RunAddImage(*add); });

  auto learn = std::make_shared<LearnFlags>();
  CLI::App* learn_cmd = group->add_subcommand(
      "learn",
      "Write a policy that allows exactly the boot chain of a golden host's evidence bundle. "
      "Refuses (exit 1) evidence that does not verify or a log with contraindicated findings.");
  learn_cmd->add_option("BUNDLE", learn->bundle_dir, "evidence bundle directory")->required();
  learn_cmd->add_option("--group", learn->group, "group name (default: learned)");
  learn_cmd->add_option("--host", learn->host, "host id (default: meta.json host_id)");
  learn_cmd->add_option("--out", learn->out,
                        "policy file to write (.textproto or .json); default: textproto on stdout");
  learn_cmd->add_option("--name", learn->name, "policy name (default: learned-<group>)");
  learn_cmd->add_option("--version", learn->version, "policy version (default: learned-<date>)");
  learn_cmd->add_option("--ttl", learn->ttl_seconds, "verdict TTL in seconds (default 3600)");
  learn_cmd->callback([learn, &exit_code] { exit_code = RunLearn(*learn); });
}

}  // namespace bootgate::cli
