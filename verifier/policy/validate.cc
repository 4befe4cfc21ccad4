#include "verifier/policy/validate.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "verifier/bootstate/kernel_cmdline.h"
#include "verifier/crypto/hash.h"
#include "verifier/policy/dates.h"
#include "verifier/policy/never_waivable.h"
#include "verifier/policy/pcr_spec.h"

namespace bootgate::policy {
namespace {

// Collects errors under a current path; Scope pushes one step for its lifetime.
class Checker {
 public:
  class Scope {
   public:
    Scope(Checker& c, absl::string_view field, int index = -1) : c_(c) {
      c_.path_.push_back({std::string(field), index});
    }
    ~Scope() { c_.path_.pop_back(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Checker& c_;
  };

  void Error(std::string message) { errors_.push_back({path_, std::move(message)}); }
  void ErrorAt(absl::string_view field, int index, std::string message) {
    Scope s(*this, field, index);
    Error(std::move(message));
  }
  void Required(absl::string_view field, const std::string& value) {
    if (value.empty()) ErrorAt(field, -1, "required");
  }
  std::vector<ValidationError> Take() { return std::move(errors_); }

 private:
  FieldPath path_;
  std::vector<ValidationError> errors_;
};

// Lowercase only: a policy should match byte for byte what `sha256sum` and bootgate print.
std::string Sha256HexProblem(const std::string& hex) {
  if (hex.size() != 64) {
    return absl::StrCat("\"", hex, "\" is not a SHA-256 digest: ", hex.size(),
                        " characters, want 64 lowercase hex");
  }
  for (char c : hex) {
    if (c >= 'A' && c <= 'F') {
      return absl::StrCat("\"", hex, "\" has uppercase hex; write digests in lowercase");
    }
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return absl::StrCat("\"", hex, "\" is not hex: '", std::string(1, c), "'");
    }
  }
  return "";
}

void CheckDigests(Checker& c, absl::string_view field,
                  const google::protobuf::RepeatedPtrField<std::string>& digests) {
  for (int i = 0; i < digests.size(); ++i) {
    std::string problem = Sha256HexProblem(digests[i]);
    if (!problem.empty()) c.ErrorAt(field, i, std::move(problem));
  }
}

void CheckCertRefs(Checker& c, absl::string_view field,
                   const google::protobuf::RepeatedPtrField<v1::CertRef>& refs) {
  for (int i = 0; i < refs.size(); ++i) {
    Checker::Scope s(c, field, i);
    std::string problem = Sha256HexProblem(refs[i].sha256());
    if (!problem.empty()) c.ErrorAt("sha256", -1, std::move(problem));
  }
}

void CheckImages(Checker& c, absl::string_view field,
                 const google::protobuf::RepeatedPtrField<v1::Image>& images) {
  for (int i = 0; i < images.size(); ++i) {
    Checker::Scope s(c, field, i);
    c.Required("name", images[i].name());
    std::string problem = Sha256HexProblem(images[i].sha256());
    if (!problem.empty()) c.ErrorAt("sha256", -1, std::move(problem));
  }
}

// Exactly one way to judge grub's configuration; no empty command or pattern (an empty
// pattern would match nothing, an empty command never runs).
void CheckGrubRule(Checker& c, const v1::GrubRule& grub) {
  Checker::Scope s(c, "grub");
  const int ways = (grub.commands().empty() ? 0 : 1) + (grub.command_patterns().empty() ? 0 : 1) +
                   (grub.unpinned() ? 1 : 0);
  if (ways > 1) {
    c.Error("commands, command_patterns and unpinned are alternatives: choose one");
  }
  if (!grub.config_files().empty() && grub.commands().empty()) {
    c.ErrorAt("config_files", -1, "checked with the learned commands only: set commands too");
  }
  for (int i = 0; i < grub.commands().size(); ++i) {
    if (grub.commands(i).empty()) c.ErrorAt("commands", i, "empty");
  }
  for (int i = 0; i < grub.command_patterns().size(); ++i) {
    if (grub.command_patterns(i).empty()) c.ErrorAt("command_patterns", i, "empty");
  }
  CheckImages(c, "config_files", grub.config_files());
}

// A `required_args` / `forbidden_args` entry is one kernel argument, read as the kernel reads
// its command line (bootstate/kernel_cmdline.h): whitespace outside double quotes splits.
void CheckArgRule(Checker& c, absl::string_view field, int index, const std::string& rule) {
  if (rule.empty()) {
    c.ErrorAt(field, index, "empty");
    return;
  }
  const std::vector<bootstate::KernelArg> args = bootstate::SplitKernelCmdline(rule);
  if (args.size() == 1 && !args[0].name.empty()) return;
  if (args.empty()) {
    c.ErrorAt(field, index, absl::StrCat("\"", rule, "\" holds no argument, only whitespace"));
    return;
  }
  if (args.size() == 1) {
    c.ErrorAt(field, index, absl::StrCat("\"", rule, "\" is an argument without a name"));
    return;
  }
  std::vector<std::string> texts;
  for (const bootstate::KernelArg& a : args) texts.push_back(a.text);
  std::string message = absl::StrCat(
      "\"", rule, "\" is ", args.size(), " kernel arguments (", absl::StrJoin(texts, " | "),
      "): the kernel splits its command line at whitespace outside double quotes, and an "
      "entry is one argument");
  // `name=a b`: suggest the quoted value, in the policy file's escaping too.
  const absl::string_view stripped = absl::StripAsciiWhitespace(rule);
  const size_t equals = stripped.find('=');
  if (args[0].value.has_value() && equals != absl::string_view::npos && equals > 0 &&
      stripped.find('"') == absl::string_view::npos) {
    const absl::string_view name = stripped.substr(0, equals);
    const absl::string_view value = stripped.substr(equals + 1);
    absl::StrAppend(&message,
                    "; for one argument whose value holds the space, quote the value: ", name,
                    "=\"", value, "\" (in the policy file: \"", name, "=\\\"", value, "\\\"\")");
  } else {
    absl::StrAppend(&message,
                    "; write one entry per argument, or quote a value that holds a "
                    "space: name=\"a b\" (in the policy file: \"name=\\\"a b\\\"\")");
  }
  c.ErrorAt(field, index, std::move(message));
}

void CheckGroup(Checker& c, const v1::HostGroup& g) {
  c.Required("name", g.name());
  if (g.hosts().empty()) c.ErrorAt("hosts", -1, "a group needs at least one host");
  for (int i = 0; i < g.required_banks().size(); ++i) {
    if (!crypto::HashAlgFromName(g.required_banks(i)).has_value()) {
      c.ErrorAt("required_banks", i,
                absl::StrCat("unknown bank \"", g.required_banks(i),
                             "\" (sha1, sha256, sha384, sha512, sm3_256)"));
    }
  }
  for (int i = 0; i < g.required_pcrs().size(); ++i) {
    auto spec = ParsePcrSpec(g.required_pcrs(i));
    if (!spec.ok()) c.ErrorAt("required_pcrs", i, std::string(spec.status().message()));
  }
  if (!g.has_verdict_ttl() || g.verdict_ttl().seconds() < 0 || g.verdict_ttl().nanos() < 0 ||
      (g.verdict_ttl().seconds() == 0 && g.verdict_ttl().nanos() == 0)) {
    c.ErrorAt("verdict_ttl", -1, "required and > 0 (how long a verdict counts, e.g. \"3600s\")");
  }
  // `unpinned` stands for "this layer is deliberately empty"; with values it would be ambiguous.
  const auto& fw = g.firmware();
  if (fw.unpinned() && !(fw.crtm_versions().empty() && fw.blobs().empty() && fw.pcr0().empty())) {
    c.ErrorAt("firmware", -1, "unpinned and allowed values together: choose one");
  }
  const auto& sb = g.secure_boot();
  if (sb.unpinned() && (sb.has_required() || !sb.pk().empty() || !sb.kek().empty() ||
                        !sb.db().empty() || !sb.dbx_must_contain().empty() ||
                        sb.min_dbx_entries() != 0 || !sb.shim_authorities().empty())) {
    c.ErrorAt("secure_boot", -1, "unpinned and allowed values together: choose one");
  }
  if (g.boot_loader().none() &&
      (g.boot_loader().unpinned() || !g.boot_loader().allowed().empty())) {
    c.ErrorAt("boot_loader", -1,
              "none (no boot loader) together with allowed or unpinned: choose one");
  }
  if (g.boot_loader().unpinned() && !g.boot_loader().allowed().empty()) {
    c.ErrorAt("boot_loader", -1, "unpinned and allowed values together: choose one");
  }
  {
    Checker::Scope s(c, "firmware");
    CheckDigests(c, "blobs", g.firmware().blobs());
    CheckDigests(c, "pcr0", g.firmware().pcr0());
  }
  {
    Checker::Scope s(c, "secure_boot");
    CheckCertRefs(c, "pk", g.secure_boot().pk());
    CheckCertRefs(c, "kek", g.secure_boot().kek());
    CheckCertRefs(c, "db", g.secure_boot().db());
    CheckCertRefs(c, "shim_authorities", g.secure_boot().shim_authorities());
    CheckDigests(c, "dbx_must_contain", g.secure_boot().dbx_must_contain());
  }
  {
    Checker::Scope s(c, "boot_loader");
    CheckImages(c, "allowed", g.boot_loader().allowed());
    CheckGrubRule(c, g.boot_loader().grub());
  }
  {
    Checker::Scope s(c, "kernel");
    CheckImages(c, "allowed", g.kernel().allowed());
    CheckImages(c, "grub_linux_files", g.kernel().grub_linux_files());
    {
      Checker::Scope i(c, "initrd");
      CheckImages(c, "allowed", g.kernel().initrd().allowed());
      if (g.kernel().initrd().unpinned() && !g.kernel().initrd().allowed().empty()) {
        c.ErrorAt("unpinned", -1, "unpinned and allowed initrds together: choose one");
      }
    }
    {
      const v1::MultibootBaseline& mb = g.kernel().multiboot();
      Checker::Scope m(c, "multiboot");
      CheckImages(c, "hypervisor", mb.hypervisor());
      CheckImages(c, "dom0_kernel", mb.dom0_kernel());
      CheckImages(c, "modules", mb.modules());
      if (mb.modules_unpinned() && !mb.modules().empty()) {
        c.ErrorAt("modules_unpinned", -1, "unpinned and allowed modules together: choose one");
      }
      if (mb.hypervisor().empty() && (!mb.dom0_kernel().empty() || !mb.modules().empty())) {
        c.ErrorAt("hypervisor", -1,
                  "modules are pinned but no hypervisor is: pin the hypervisor too");
      }
    }
    Checker::Scope r(c, "cmdline");
    for (int i = 0; i < g.kernel().cmdline().required_args().size(); ++i) {
      CheckArgRule(c, "required_args", i, g.kernel().cmdline().required_args(i));
    }
    for (int i = 0; i < g.kernel().cmdline().forbidden_args().size(); ++i) {
      CheckArgRule(c, "forbidden_args", i, g.kernel().cmdline().forbidden_args(i));
    }
  }
}

void CheckException(Checker& c, const v1::Exception& e, const std::set<std::string>& groups,
                    const std::map<std::string, int>& host_group) {
  const std::string who =
      e.name().empty() ? "exception" : absl::StrCat("exception \"", e.name(), "\"");
  auto missing = [&](absl::string_view field, const std::string& value) {
    if (value.empty()) c.ErrorAt(field, -1, absl::StrCat(who, " has no ", field));
  };
  missing("name", e.name());
  missing("owner", e.owner());
  missing("reason", e.reason());
  missing("compensating_control", e.compensating_control());
  missing("finding_code", e.finding_code());
  const std::optional<uint32_t> pcr = e.has_pcr() ? std::optional<uint32_t>(e.pcr()) : std::nullopt;
  if (const NeverWaivable* never = ForbiddenException(e.finding_code(), pcr)) {
    const bool scoped = !never->pcrs.empty();
    const std::string pcrs = NeverWaivablePcrs(*never);
    c.ErrorAt("finding_code", -1,
              absl::StrCat(who, " waives \"", e.finding_code(), "\"",
                           scoped ? absl::StrCat(" on ", pcrs) : "",
                           ", which is never waivable: ", never->reason,
                           scoped ? absl::StrCat(" (only a pcr selector outside ", pcrs,
                                                 " may waive it elsewhere)")
                                  : "",
                           "; see \"Never waivable\" in policies/README.md"));
  }
  switch (e.target_case()) {
    case v1::Exception::kHost:
      if (!host_group.contains(e.host())) {
        c.ErrorAt("host", -1,
                  absl::StrCat(who, " names host \"", e.host(), "\", which no group lists"));
      }
      break;
    case v1::Exception::kGroup:
      if (!groups.contains(e.group())) {
        c.ErrorAt("group", -1,
                  absl::StrCat(who, " names group \"", e.group(), "\", which does not exist"));
      }
      break;
    case v1::Exception::TARGET_NOT_SET:
      c.Error(absl::StrCat(who, " names neither a host nor a group"));
      break;
  }
  std::optional<absl::Time> created;
  if (!e.created().empty()) {
    auto t = ParsePolicyDate(e.created());
    if (t.ok())
      created = *t;
    else
      c.ErrorAt("created", -1, absl::StrCat(who, ": ", t.status().message()));
  }
  if (e.expires().empty()) {
    c.ErrorAt("expires", -1, absl::StrCat(who, " has no expires (exceptions are time-bound)"));
  } else {
    auto t = ParsePolicyDate(e.expires());
    if (!t.ok()) {
      c.ErrorAt("expires", -1, absl::StrCat(who, ": ", t.status().message()));
    } else if (created.has_value() && *t <= *created) {
      c.ErrorAt("expires", -1, absl::StrCat(who, " expires before it is created"));
    }
  }
}

}  // namespace

std::string FormatPath(const FieldPath& path) {
  std::string out;
  for (const PathStep& step : path) {
    if (!out.empty()) out += '.';
    out += step.field;
    if (step.index >= 0) absl::StrAppend(&out, "[", step.index, "]");
  }
  return out;
}

std::vector<ValidationError> ValidatePolicy(const v1::Policy& policy) {
  Checker c;
  c.Required("name", policy.name());
  c.Required("version", policy.version());
  std::set<std::string> group_names;
  std::map<std::string, int> host_group;  // host -> index of the first group listing it
  if (policy.groups().empty()) c.ErrorAt("groups", -1, "a policy needs at least one group");
  for (int gi = 0; gi < policy.groups().size(); ++gi) {
    const v1::HostGroup& g = policy.groups(gi);
    Checker::Scope s(c, "groups", gi);
    CheckGroup(c, g);
    if (!g.name().empty() && !group_names.insert(g.name()).second) {
      c.ErrorAt("name", -1, absl::StrCat("duplicate group name \"", g.name(), "\""));
    }
    for (int hi = 0; hi < g.hosts().size(); ++hi) {
      const std::string& host = g.hosts(hi);
      if (host.empty()) {
        c.ErrorAt("hosts", hi, "empty host id");
        continue;
      }
      auto [it, inserted] = host_group.emplace(host, gi);
      if (!inserted) {
        const std::string& other = policy.groups(it->second).name();
        c.ErrorAt("hosts", hi,
                  it->second == gi
                      ? absl::StrCat("host \"", host, "\" is listed twice")
                      : absl::StrCat("host \"", host, "\" is already in group \"", other,
                                     "\" (groups[", it->second, "]); a host belongs to one group"));
      }
    }
  }
  std::set<std::string> exception_names;
  for (int ei = 0; ei < policy.exceptions().size(); ++ei) {
    const v1::Exception& e = policy.exceptions(ei);
    Checker::Scope s(c, "exceptions", ei);
    CheckException(c, e, group_names, host_group);
    if (!e.name().empty() && !exception_names.insert(e.name()).second) {
      c.ErrorAt("name", -1, absl::StrCat("duplicate exception name \"", e.name(), "\""));
    }
  }
  return c.Take();
}

}  // namespace bootgate::policy
