#include "server/bootgated/reload.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/bootgated/config.h"
#include "server/bootgated/enrollment_trust.h"
#include "server/bootgated/policy_holder.h"
#include "server/bootgated/reappraisal.h"
#include "server/bootgated/request_log.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::service {
namespace {

using google::protobuf::util::MessageDifferencer;

// The ServerConfig fields SIGHUP puts in use; every other field needs a restart.
constexpr absl::string_view kReloadable[] = {"tls", "policy_file", "enrollment"};

bool IsReloadable(absl::string_view field) {
  for (absl::string_view name : kReloadable) {
    if (name == field) return true;
  }
  return false;
}

// The top-level settings whose new value differs from the running one and that only a restart
// puts in use. Generic over the message, so that a setting added later is reported too.
std::vector<std::string> NeedsRestart(const v1::ServerConfig& running,
                                      const v1::ServerConfig& next) {
  std::vector<std::string> out;
  const google::protobuf::Descriptor* descriptor = v1::ServerConfig::descriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (IsReloadable(field->name())) continue;
    v1::ServerConfig a, b;
    a.CopyFrom(running);
    b.CopyFrom(next);
    for (int j = 0; j < descriptor->field_count(); ++j) {
      if (j == i) continue;
      a.GetReflection()->ClearField(&a, descriptor->field(j));
      b.GetReflection()->ClearField(&b, descriptor->field(j));
    }
    if (!MessageDifferencer::Equals(a, b)) out.push_back(field->name());
  }
  // TLS on or off, and the client CA on or off, change how the port is opened.
  if (running.tls().cert_file().empty() != next.tls().cert_file().empty() ||
      running.tls().client_ca_file().empty() != next.tls().client_ca_file().empty()) {
    out.push_back("tls (turned on or off)");
  }
  return out;
}

// A fingerprint of the enrollment settings and the bytes of every bundle they name: a bundle
// rewritten in place changes it. An unreadable file is part of the fingerprint as such (the
// load that follows then says which).
std::string EnrollmentFingerprint(const v1::EnrollmentConfig& config) {
  crypto::EvpMdCtxPtr md(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1) return "";
  auto add = [&](absl::string_view bytes) {
    const std::string length = absl::StrCat(bytes.size(), ":");
    EVP_DigestUpdate(md.get(), length.data(), length.size());
    EVP_DigestUpdate(md.get(), bytes.data(), bytes.size());
  };
  add(config.SerializeAsString());
  for (const auto* files : {&config.ek_ca_files(), &config.ak_ca_files()}) {
    for (const std::string& path : *files) {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        add("unreadable");
        continue;
      }
      add(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(md.get(), digest, &length) != 1) return "";
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

bool SamePolicy(const std::shared_ptr<const ActivePolicy>& a,
                const std::shared_ptr<const ActivePolicy>& b) {
  if (!a || !b) return !a && !b;
  return MessageDifferencer::Equals(a->policy, b->policy);
}

}  // namespace

absl::StatusOr<v1::ServerConfig> ReadServerConfigFile(const std::string& path) {
  if (path.empty()) return v1::ServerConfig();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseServerConfig(text, path);
}

Reloader::Reloader(ServiceContext* context, ServerTls* tls) : context_(context), tls_(tls) {
  absl::MutexLock lock(&mu_);
  enrollment_sha256_ = EnrollmentFingerprint(context_->config.enrollment());
}

void Reloader::LogFailure(const absl::Status& status) {
  LogEvent("reload_failed",
           {{"error", status.message()}, {"kept", "the running configuration, unchanged"}});
}

absl::StatusOr<ReloadReport> Reloader::Reload(const v1::ServerConfig& raw) {
  absl::MutexLock lock(&mu_);
  const v1::ServerConfig next = WithDefaults(raw);
  ReloadReport report;
  report.needs_restart = NeedsRestart(context_->config, next);
  const bool same_tls_mode =
      context_->config.tls().cert_file().empty() == next.tls().cert_file().empty() &&
      context_->config.tls().client_ca_file().empty() == next.tls().client_ca_file().empty();

  // Everything is read and checked before anything is put in use.
  auto fail = [](const absl::Status& status) {
    LogFailure(status);
    return status;
  };
  std::optional<TlsFiles> tls_files;
  if (tls_->enabled() && same_tls_mode) {
    auto files = ReadTlsFiles(next.tls());
    if (!files.ok()) return fail(files.status());
    tls_files = *std::move(files);
  }
  auto file_policy = LoadPolicyFile(next.policy_file());
  if (!file_policy.ok()) return fail(file_policy.status());
  const std::string enrollment_sha256 = EnrollmentFingerprint(next.enrollment());
  std::optional<EnrollmentTrust> enrollment;
  if (enrollment_sha256 != enrollment_sha256_) {
    auto loaded = LoadEnrollmentTrust(next.enrollment());
    if (!loaded.ok()) return fail(loaded.status());
    enrollment = *std::move(loaded);
  }

  // The TLS identity copy is the one step that can fail (a write): first, so that a failure
  // leaves everything as it was.
  if (tls_files) {
    auto changed = tls_->Apply(*tls_files);
    if (!changed.ok()) return fail(changed.status());
    report.changed = *std::move(changed);
  }
  if (!SamePolicy(context_->policies->FilePolicy(), *file_policy)) {
    context_->policies->SetFilePolicy(*file_policy);
    report.changed.push_back("policy_file");
  }
  if (enrollment) {
    context_->enrollment->Set(std::make_shared<const EnrollmentTrust>(*std::move(enrollment)));
    enrollment_sha256_ = enrollment_sha256;
    report.changed.push_back("enrollment");
  }

  const std::shared_ptr<const ActivePolicy> active = context_->policies->Current();
  const std::string changed = report.changed.empty() ? "none" : absl::StrJoin(report.changed, ",");
  const std::string restart =
      report.needs_restart.empty() ? "none" : absl::StrJoin(report.needs_restart, ",");
  const char* source = !active ? "none" : active->store_version == 0 ? "policy_file" : "pushed";
  const std::string version = active ? active->policy.version() : "";
  std::vector<LogField> fields = {{"changed", changed},
                                  {"needs_restart", restart},
                                  {"policy_in_use", source},
                                  {"policy_version", version}};
  if (tls_files && !tls_files->certificate_subject.empty()) {
    fields.push_back({"server_certificate", tls_files->certificate_subject});
    fields.push_back({"server_certificate_not_after", tls_files->certificate_not_after});
  }
  if (tls_files && tls_files->client_cas) {
    fields.push_back({"client_ca_sha256", tls_files->client_cas->sha256()});
  }
  LogEvent("reloaded", fields);
  // A new policy_file in use (no policy was pushed) applies at once, as a push does.
  const bool file_changed = std::find(report.changed.begin(), report.changed.end(),
                                      "policy_file") != report.changed.end();
  if (file_changed && active && active->store_version == 0) {
    Caller reload_caller;
    reload_caller.identity = "sighup";
    ReappraiseAll(*context_, active, reload_caller, "reload policy_file");
  }
  return report;
}

}  // namespace bootgate::service
