// Policy loading on arbitrary bytes: the first byte picks the format (even: textproto, odd:
// JSON), the rest is the policy text. A policy that loads is then evaluated against an empty
// boot state for a host of its first group, exceptions applied and appraised, so validation
// and evaluation must agree (no crash on anything validation lets through); and against a
// grub boot with an initrd, so that the grub and initrd rules run on whatever validation lets
// through.
#include <cstddef>
#include <cstdint>
#include <string>

#include "verifier/appraisal/appraise.h"
#include "verifier/policy/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto format = (data[0] & 1) != 0 ? bootgate::policy::PolicyFormat::kJson
                                         : bootgate::policy::PolicyFormat::kTextproto;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);  // text, not a struct
  absl::StatusOr<bootgate::v1::Policy> policy = bootgate::policy::LoadPolicy(text, format, "fuzz");
  if (!policy.ok()) {
    if (policy.status().message().empty()) __builtin_trap();  // every refusal says why
    return 0;
  }
  bootgate::policy::EvaluationContext context;
  context.host_id = policy->groups(0).hosts(0);
  context.clock_safe = false;
  context.now = absl::FromUnixSeconds(1767225600);
  const bootgate::appraisal::Appraisal a = bootgate::appraisal::AppraiseBootState(
      bootgate::bootstate::BootState{}, {}, context, *policy);
  // An empty boot state never satisfies a kernel baseline (fail closed): only an exception
  // can make it eligible, and then the verdict must say which.
  if (a.placement_eligible && a.exceptions_used.empty()) __builtin_trap();
  if (!a.exceptions_used.empty() && a.tier == bootgate::appraisal::Tier::kAffirming)
    __builtin_trap();
  // A grub boot with an initrd: the fuzzed grub commands, patterns and initrd lists run too.
  bootgate::bootstate::BootState grub;
  grub.boot_loader.grub_commands = {{10, "source (hd0,gpt1)/grub.cfg"},
                                    {12, "set timeout=0"},
                                    {13, "linux /vmlinuz ro"},
                                    {15, "initrd /initrd.img"},
                                    {17, "boot"}};
  bootgate::bootstate::BootImage file{
      .event_index = 11, .digests = {}, .path = "(hd0,gpt1)/grub.cfg"};
  file.digests[bootgate::crypto::HashAlg::kSha256] = bootgate::crypto::Digest(32, 0xab);
  grub.boot_loader.grub_config_files.push_back(file);
  file.event_index = 16;
  file.path = "/initrd.img";
  grub.kernel.grub_initrd.push_back({.kind = bootgate::bootstate::GrubLoad::Kind::kInitrd,
                                     .command_event = 15,
                                     .command = "initrd /initrd.img",
                                     .path = "/initrd.img",
                                     .file = file});
  bootgate::appraisal::AppraiseBootState(grub, {}, context, *policy);
  return 0;
}
