#include <optional>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "verifier/policy/rules.h"

namespace bootgate::policy::internal {
namespace {

using bootstate::SecureBootVariable;
using bootstate::SignatureEntry;

constexpr absl::string_view kConfigEvent = "EV_EFI_VARIABLE_DRIVER_CONFIG";
constexpr absl::string_view kAuthorityEvent = "EV_EFI_VARIABLE_AUTHORITY";

std::set<std::string> Fingerprints(const google::protobuf::RepeatedPtrField<v1::CertRef>& refs) {
  std::set<std::string> out;
  for (const v1::CertRef& r : refs) out.insert(r.sha256());
  return out;
}

std::set<std::string> Fingerprints(const std::optional<SecureBootVariable>& var) {
  std::set<std::string> out;
  if (var.has_value()) {
    for (const SignatureEntry& e : var->entries) out.insert(e.sha256);
  }
  return out;
}

std::string Describe(const SignatureEntry& e) {
  if (e.kind == SignatureEntry::Kind::kX509) {
    return e.subject.empty() ? absl::StrCat("certificate sha256 ", e.sha256)
                             : absl::StrCat("certificate \"", e.subject, "\" sha256 ", e.sha256);
  }
  return absl::StrCat("hash ", e.sha256);
}

std::string ShortDescribe(const SignatureEntry& e) {
  if (e.kind == SignatureEntry::Kind::kX509) {
    return e.subject.empty()
               ? absl::StrCat("certificate ", ShortHex(e.sha256))
               : absl::StrCat("certificate \"", e.subject, "\" (", ShortHex(e.sha256), ")");
  }
  return absl::StrCat("hash ", ShortHex(e.sha256));
}

// Every entry of a measured PK/KEK/db must be in the baseline's list (when the list is set).
void CheckVariable(std::vector<Finding>& out, absl::string_view variable, absl::string_view code,
                   const std::optional<SecureBootVariable>& measured,
                   const google::protobuf::RepeatedPtrField<v1::CertRef>& allowed,
                   const std::string& baseline) {
  const std::string field = absl::AsciiStrToLower(variable);  // the baseline field: pk, kek, db
  const std::string allowed_text =
      absl::StrCat(baseline, ".", field, ": ", allowed.size(), " certificate(s)");
  if (!measured.has_value()) {
    Add(out,
        {.code = "secure-boot-variable-not-measured",
         .layer = Layer::kSecureBoot,
         .pcr = kPcr7,
         .seen = absl::StrCat(variable, " not measured"),
         .allowed = allowed_text,
         .message = absl::StrCat("PCR 7: the log has no ", variable, " (", kConfigEvent,
                                 ") to compare with ", baseline),
         .hint = "the firmware must measure Secure Boot variables before the PCR 7 separator"});
    return;
  }
  const std::set<std::string> ok = Fingerprints(allowed);
  for (const SignatureEntry& e : measured->entries) {
    if (ok.contains(e.sha256)) continue;
    Add(out,
        {.code = code,
         .layer = Layer::kSecureBoot,
         .pcr = kPcr7,
         .event_index = measured->event_index,
         .seen = Describe(e),
         .allowed = allowed_text,
         .message =
             absl::StrCat(Where(measured->event_index, kConfigEvent, kPcr7), variable, " holds ",
                          ShortDescribe(e), ", which is not in ", baseline, ".", field),
         .hint = absl::StrCat("if this key was enrolled on purpose, add its sha256 fingerprint to ",
                              baseline, ".", field)});
  }
}

void CheckState(const bootstate::SecureBootLayer& sb, const v1::HostGroup& group,
                const std::string& baseline, std::vector<Finding>& out) {
  const std::string allowed = absl::StrCat(baseline, ".required: Secure Boot enabled");
  const std::string hint = absl::StrCat(
      "enable Secure Boot in the firmware setup; or, if the hosts of group ", group.name(),
      " may boot without it, set `required: false` in ", group.name(),
      ".secure_boot (every such verdict then carries a secure-boot-not-required warning)");
  if (!sb.enabled.has_value()) {
    Add(out, {.code = "secure-boot-not-measured",
              .layer = Layer::kSecureBoot,
              .pcr = kPcr7,
              .seen = "no SecureBoot variable in the log",
              .allowed = allowed,
              .message = "PCR 7: the log does not measure the SecureBoot variable, so Secure Boot "
                         "cannot be shown enabled",
              .hint = hint});
  } else if (!*sb.enabled) {
    Add(out, {.code = "secure-boot-disabled",
              .layer = Layer::kSecureBoot,
              .pcr = kPcr7,
              .event_index = sb.secure_boot_event,
              .seen = "SecureBoot=0",
              .allowed = allowed,
              .message = absl::StrCat(Where(sb.secure_boot_event, kConfigEvent, kPcr7),
                                      "Secure Boot is disabled; ", baseline, " requires it"),
              .hint = hint});
  }
  if (sb.setup_mode.value_or(false)) {
    Add(out, {.code = "secure-boot-setup-mode",
              .layer = Layer::kSecureBoot,
              .pcr = kPcr7,
              .seen = "SetupMode=1",
              .allowed = allowed,
              .message = "PCR 7: the platform is in Secure Boot setup mode: anyone can enroll keys",
              .hint = "enroll a PK (leaving setup mode)"});
  }
}

// `required: false`, written on purpose: a host without Secure Boot passes, and says so.
void CheckNotRequired(const bootstate::SecureBootLayer& sb, const v1::HostGroup& group,
                      const std::string& baseline, std::vector<Finding>& out) {
  if (sb.enabled.value_or(false)) return;
  const std::string seen =
      sb.enabled.has_value() ? "SecureBoot=0" : "no SecureBoot variable in the log";
  Add(out, {.code = "secure-boot-not-required",
            .layer = Layer::kSecureBoot,
            .severity = Severity::kWarning,
            .pcr = kPcr7,
            .event_index = sb.secure_boot_event,
            .seen = seen,
            .allowed = absl::StrCat(baseline, ".required: false (Secure Boot not required)"),
            .message = absl::StrCat(
                Where(sb.secure_boot_event, kConfigEvent, kPcr7),
                sb.enabled.has_value() ? "Secure Boot is disabled" : "Secure Boot is not measured",
                ", which ", baseline,
                " accepts (required: false): boot images were not verified "
                "by the firmware"),
            .hint = absl::StrCat("to require Secure Boot, enable it in the firmware setup of the "
                                 "hosts and set `required: true` in ",
                                 group.name(), ".secure_boot")});
}

void CheckDbx(const bootstate::SecureBootLayer& sb, const v1::SecureBootBaseline& base,
              const std::string& baseline, std::vector<Finding>& out) {
  const std::set<std::string> dbx = Fingerprints(sb.dbx);
  const std::optional<uint32_t> event =
      sb.dbx.has_value() ? std::optional<uint32_t>(sb.dbx->event_index) : std::nullopt;
  const std::string hint =
      "apply the current dbx update (fwupd / the vendor's UEFI revocation list)";
  for (const std::string& revoked : base.dbx_must_contain()) {
    if (dbx.contains(revoked)) continue;
    Add(out,
        {.code = "dbx-missing-revocation",
         .layer = Layer::kSecureBoot,
         .pcr = kPcr7,
         .event_index = event,
         .seen = sb.dbx.has_value() ? absl::StrCat("dbx without ", revoked) : "dbx not measured",
         .allowed = absl::StrCat(baseline, ".dbx_must_contain: ", revoked),
         .message =
             absl::StrCat(Where(event, kConfigEvent, kPcr7), "dbx does not revoke ",
                          ShortHex(revoked), ", which ", baseline, ".dbx_must_contain requires"),
         .hint = hint});
  }
  const size_t entries = sb.dbx.has_value() ? sb.dbx->entries.size() : 0;
  if (entries < base.min_dbx_entries()) {
    Add(out, {.code = "dbx-too-small",
              .layer = Layer::kSecureBoot,
              .pcr = kPcr7,
              .event_index = event,
              .seen = absl::StrCat(entries, " dbx entries"),
              .allowed = absl::StrCat(baseline, ".min_dbx_entries: ", base.min_dbx_entries()),
              .message = absl::StrCat(Where(event, kConfigEvent, kPcr7), "dbx has ", entries,
                                      " entries, fewer than the ", base.min_dbx_entries(), " ",
                                      baseline, " requires: it is out of date"),
              .hint = hint});
  }
}

// Authorities are logged as images are verified, after the separator. A "db" authority must
// be a certificate of the measured db (else the log contradicts itself: the image was not
// verified by this platform's db) and of the baseline's db when it lists one. shim's own
// authorities ("Shim" vendor certificate, MokList keys) are checked against
// shim_authorities when it is set; SbatLevel / MokListRT carry no certificate: no finding.
void CheckAuthorities(const bootstate::SecureBootLayer& sb, const v1::SecureBootBaseline& base,
                      const std::string& baseline, std::vector<Finding>& out) {
  const std::set<std::string> measured_db = Fingerprints(sb.db);
  const std::set<std::string> baseline_db = Fingerprints(base.db());
  const std::set<std::string> shim_ok = Fingerprints(base.shim_authorities());
  for (const bootstate::Authority& a : sb.authorities) {
    const std::string where = Where(a.event_index, kAuthorityEvent, kPcr7);
    if (a.variable == "db") {
      if (!a.certificate.has_value()) {
        Add(out, {.code = "authority-not-in-db",
                  .layer = Layer::kSecureBoot,
                  .pcr = kPcr7,
                  .event_index = a.event_index,
                  .seen = "db authority without a certificate",
                  .allowed = "a certificate of the measured db",
                  .message = absl::StrCat(where, "a db authority names no certificate"),
                  .hint = "the firmware logged an authority bootgate cannot read"});
        continue;
      }
      const SignatureEntry& cert = *a.certificate;
      const bool in_measured = measured_db.contains(cert.sha256);
      const bool in_baseline = baseline_db.empty() || baseline_db.contains(cert.sha256);
      if (in_measured && in_baseline) continue;
      // Outside the measured db, the log contradicts itself: never waivable
      // (never_waivable.h); outside the baseline only, a boot that differs.
      Add(out, {.code = in_measured ? "authority-not-in-db" : "authority-not-in-measured-db",
                .layer = Layer::kSecureBoot,
                .pcr = kPcr7,
                .event_index = a.event_index,
                .seen = Describe(cert),
                .allowed = in_measured ? absl::StrCat(baseline, ".db: ", base.db().size(),
                                                      " certificate(s)")
                                       : "a certificate of the measured db",
                .message = absl::StrCat(
                    where, "an image was verified by ", ShortDescribe(cert), ", which is not in ",
                    in_measured ? absl::StrCat(baseline, ".db") : "the measured db"),
                .hint = in_measured ? absl::StrCat("if this CA is trusted, add its fingerprint to ",
                                                   baseline, ".db")
                                    : "the log claims a verification the platform's db cannot have "
                                      "made: treat the host as "
                                      "compromised until explained"});
      continue;
    }
    if (!a.certificate.has_value() || shim_ok.empty() || shim_ok.contains(a.certificate->sha256))
      continue;
    Add(out, {.code = "authority-not-allowed",
              .layer = Layer::kSecureBoot,
              .pcr = kPcr7,
              .event_index = a.event_index,
              .seen = absl::StrCat(a.variable, " ", Describe(*a.certificate)),
              .allowed =
                  absl::StrCat(baseline, ".shim_authorities: ", shim_ok.size(), " certificate(s)"),
              .message = absl::StrCat(where, "an image was verified through ", a.variable, " by ",
                                      ShortDescribe(*a.certificate), ", which is not in ", baseline,
                                      ".shim_authorities"),
              .hint = absl::StrCat("if this key is trusted (e.g. an enrolled MOK), add it to ",
                                   baseline, ".shim_authorities")});
  }
}

}  // namespace

void EvaluateSecureBoot(const bootstate::SecureBootLayer& sb, const v1::HostGroup& group,
                        std::vector<Finding>& out) {
  const v1::SecureBootBaseline& base = group.secure_boot();
  // An explicit `required: false` is a value of the layer: not empty.
  const bool empty = !base.has_required() && base.pk().empty() && base.kek().empty() &&
                     base.db().empty() && base.dbx_must_contain().empty() &&
                     base.min_dbx_entries() == 0 && base.shim_authorities().empty();
  if (EmptyLayer(out, group, "secure_boot", empty, base.unpinned())) return;
  const std::string baseline = absl::StrCat("baseline ", group.name(), ".secure_boot");
  if (base.required()) {
    CheckState(sb, group, baseline, out);
  } else if (base.has_required()) {
    CheckNotRequired(sb, group, baseline, out);
  }
  if (!base.pk().empty()) CheckVariable(out, "PK", "pk-not-allowed", sb.pk, base.pk(), baseline);
  if (!base.kek().empty())
    CheckVariable(out, "KEK", "kek-not-allowed", sb.kek, base.kek(), baseline);
  if (!base.db().empty() && !base.allow_extra_db()) {
    CheckVariable(out, "db", "db-cert-not-allowed", sb.db, base.db(), baseline);
  }
  CheckDbx(sb, base, baseline, out);
  CheckAuthorities(sb, base, baseline, out);
}

}  // namespace bootgate::policy::internal
