#include "cli/policy_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/boot_chain_view.h"
#include "cli/bundle_evidence.h"
#include "cli/exit_codes.h"
#include "cli/policy_io.h"
#include "cli/verdict_output.h"
#include "verifier/appraisal/appraise_evidence.h"

namespace bootgate::cli {
namespace {

struct CheckFlags {
  std::string policy_path;
  std::string bundle_dir;
  std::string now;
  std::string host;
  bool json = false;
};

int RunCheck(const CheckFlags& f) {
  absl::Time now = absl::Now();
  if (!f.now.empty()) {
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, f.now, &now, &err)) {
      return BadInput(absl::InvalidArgumentError(
          absl::StrCat("--now ", f.now, ": not an RFC 3339 time (", err, ")")));
    }
  }
  absl::StatusOr<v1::Policy> policy = ReadPolicyFile(f.policy_path);
  if (!policy.ok()) return BadInput(policy.status());
  absl::StatusOr<std::unique_ptr<BundleEvidence>> e = LoadBundleEvidence(f.bundle_dir);
  if (!e.ok()) return BadInput(e.status());
  const std::string host = f.host.empty() ? (*e)->bundle.host_id : f.host;
  absl::StatusOr<appraisal::VerifiedEvidence> verified =
      appraisal::VerifyEvidence((*e)->evidence, (*e)->bundle.nonce);
  if (!verified.ok()) return BadInput(verified.status());
  const appraisal::Appraisal verdict =
      appraisal::AppraiseVerifiedEvidence(*verified, *policy, host, now);
  // The boot chain as the quote proves it; none when the evidence itself was rejected.
  const bool proven = verified->rejections.empty();
  if (f.json) {
    nlohmann::json out = VerdictJson(verdict, host);
    out["boot_chain"] =
        proven ? nlohmann::json(BootChainJson(verified->boot.state)) : nlohmann::json(nullptr);
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << VerdictTable(verdict, host);
    if (proven) std::cout << "\n" << BootChainTable(verified->boot.state);
  }
  return verdict.placement_eligible ? kExitOk : kExitRejected;
}

int RunValidate(const std::string& path) {
  absl::StatusOr<v1::Policy> policy = ReadPolicyFile(path);
  if (!policy.ok()) return BadInput(policy.status());
  size_t hosts = 0;
  for (const v1::HostGroup& g : policy->groups()) hosts += g.hosts_size();
  std::cout << "OK: " << path << ": policy " << policy->name() << " version " << policy->version()
            << ", " << policy->groups_size() << " group(s), " << hosts << " host(s), "
            << policy->exceptions_size() << " exception(s)\n";
  return kExitOk;
}

}  // namespace

void AddPolicyCommand(CLI::App& app, int& exit_code) {
  CLI::App* group = app.add_subcommand("policy", "policies: offline verdicts and validation");
  group->require_subcommand(1);

  auto check_flags = std::make_shared<CheckFlags>();
  CLI::App* check = group->add_subcommand(
      "check",
      "Verdict for an evidence bundle under a policy: quote, replay, boot chain, baselines, "
      "exceptions. Exit 0 eligible (affirming/warning), 1 contraindicated, 2 bad input.");
  check->add_option("POLICY", check_flags->policy_path, "policy file (.textproto or .json)")
      ->required();
  check->add_option("BUNDLE", check_flags->bundle_dir, "evidence bundle directory")->required();
  check->add_flag("--json", check_flags->json, "print the verdict as JSON");
  check->add_option("--now", check_flags->now,
                    "evaluate at this time instead of the clock (RFC 3339, e.g. "
                    "2026-04-01T00:00:00Z): for tests and what-if questions");
  check->add_option("--host", check_flags->host, "host id (default: meta.json host_id)");
  check->callback([check_flags, &exit_code] { exit_code = RunCheck(*check_flags); });

  auto validate_path = std::make_shared<std::string>();
  CLI::App* validate = group->add_subcommand(
      "validate", "Load and validate a policy file; print OK or every error with its location.");
  validate->add_option("POLICY", *validate_path, "policy file (.textproto or .json)")->required();
  validate->callback([validate_path, &exit_code] { exit_code = RunValidate(*validate_path); });
}

}  // namespace bootgate::cli
