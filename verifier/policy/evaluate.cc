#include "verifier/policy/evaluate.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "verifier/policy/pcr_spec.h"
#include "verifier/policy/rules.h"

namespace bootgate::policy {
namespace {

using internal::Add;
using internal::Finding;
using internal::Layer;
using internal::Severity;

void EvaluateEvidence(const bootstate::BootState& state, const EvaluationContext& context,
                      const v1::HostGroup& group, std::vector<Finding>& out) {
  if (context.clock_safe.has_value() && !*context.clock_safe) {
    Add(out,
        {.code = "clock-not-safe",
         .layer = Layer::kEvidence,
         .severity = Severity::kWarning,
         .seen = "clockInfo.safe = 0",
         .allowed = "clockInfo.safe = 1",
         .message = "quote: the TPM reports its clock as not safe (it may have gone back after a "
                    "power loss)",
         .hint = "usually an unclean shutdown; if it repeats, check the host's power and TPM"});
  }
  for (const std::string& name : group.required_banks()) {
    const std::optional<crypto::HashAlg> bank = crypto::HashAlgFromName(name);
    if (!bank.has_value() ||
        std::find(state.banks.begin(), state.banks.end(), *bank) != state.banks.end())
      continue;
    Add(out,
        {.code = "bank-missing",
         .layer = Layer::kEvidence,
         .seen = absl::StrCat(state.banks.size(), " bank(s) replayed"),
         .allowed = absl::StrCat("baseline ", group.name(), ".required_banks: ", name),
         .message = absl::StrCat("the event log has no ", name, " bank, which group ", group.name(),
                                 " requires"),
         .hint = absl::StrCat("allocate the ", name, " PCR bank (tpm2_pcrallocate) and reboot")});
  }
  if (!context.quoted_pcrs.has_value()) return;
  for (const std::string& text : group.required_pcrs()) {
    absl::StatusOr<PcrSpec> spec = ParsePcrSpec(text);
    if (!spec.ok()) continue;  // validation refused such a policy at load
    auto it = context.quoted_pcrs->find(spec->bank);
    std::vector<uint32_t> missing;
    for (uint32_t pcr : spec->pcrs) {
      if (it == context.quoted_pcrs->end() || !it->second.contains(pcr)) missing.push_back(pcr);
    }
    if (missing.empty()) continue;
    const std::string bank = std::string(crypto::HashAlgName(spec->bank));
    Add(out, {.code = "pcr-not-quoted",
              .layer = Layer::kEvidence,
              .pcr = missing.front(),
              .seen = absl::StrCat("quote lacks ", bank, ":", absl::StrJoin(missing, ",")),
              .allowed = absl::StrCat("baseline ", group.name(), ".required_pcrs: ", text),
              .message = absl::StrCat("quote does not cover ", bank, " PCR(s) ",
                                      absl::StrJoin(missing, ","), ", which group ", group.name(),
                                      " requires"),
              .hint = absl::StrCat(
                  "quote these PCRs: `bootgate attest --host HOST` quotes PCRs 0-9 and 14 in "
                  "every bank the TPM has allocated; an explicit selection must include them (`",
                  "bootgate attest --host HOST --pcrs ", text, "`)")});
  }
}

}  // namespace

const v1::HostGroup* FindGroup(const v1::Policy& policy, const std::string& host_id) {
  for (const v1::HostGroup& group : policy.groups()) {
    if (std::find(group.hosts().begin(), group.hosts().end(), host_id) != group.hosts().end())
      return &group;
  }
  return nullptr;
}

HostGroupIndex::HostGroupIndex(const v1::Policy& policy) {
  for (const v1::HostGroup& group : policy.groups()) {
    // The first group listing a host is FindGroup's answer.
    for (const std::string& host : group.hosts()) groups_.try_emplace(host, &group);
  }
}

const v1::HostGroup* HostGroupIndex::Find(const std::string& host_id) const {
  auto it = groups_.find(host_id);
  return it == groups_.end() ? nullptr : it->second;
}

const v1::HostGroup* FindGroup(const v1::Policy& policy, const std::string& host_id,
                               const HostGroupIndex* index) {
  return index != nullptr ? index->Find(host_id) : FindGroup(policy, host_id);
}

std::vector<appraisal::Finding> Evaluate(const bootstate::BootState& state,
                                         const EvaluationContext& context,
                                         const v1::Policy& policy) {
  std::vector<Finding> out;
  const v1::HostGroup* group = FindGroup(policy, context.host_id, context.groups);
  if (group == nullptr) {
    Add(out,
        {.code = "no-policy-for-host",
         .layer = Layer::kPolicy,
         .seen = absl::StrCat("host \"", context.host_id, "\""),
         .allowed = absl::StrCat("hosts of policy ", policy.name(), " ", policy.version()),
         .message = absl::StrCat("host \"", context.host_id, "\" is in no group of policy ",
                                 policy.name(), ": nothing is allowed by default (fail closed)"),
         .hint = "add the host to the hosts of its group"});
    return out;
  }
  EvaluateEvidence(state, context, *group, out);
  internal::EvaluateFirmware(state.firmware, *group, out);
  internal::EvaluateSecureBoot(state.secure_boot, *group, out);
  internal::EvaluateBootLoader(state.boot_loader, *group, out);
  internal::EvaluateKernel(state.kernel, *group, out);
  return out;
}

}  // namespace bootgate::policy
