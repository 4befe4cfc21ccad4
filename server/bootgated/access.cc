#include "server/bootgated/access.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "server/bootgated/audit_trail.h"
#include "server/bootgated/request_log.h"

namespace bootgate::service {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

// Every value of attribute `nid` in the certificate's subject, as UTF-8.
std::vector<std::string> SubjectValues(X509* cert, int nid) {
  std::vector<std::string> out;
  X509_NAME* name = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    unsigned char* utf8 = nullptr;
    const int len =
        ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (len >= 0) out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
    OPENSSL_free(utf8);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<X509, X509Free>> PeerCertificate(
    const grpc::CallbackServerContext& call) {
  auto auth = call.auth_context();
  if (auth) {
    for (const auto& pem : auth->FindPropertyValues("x509_pem_cert")) {
      std::unique_ptr<BIO, decltype(&BIO_free)> bio(
          BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
      if (!bio) break;
      std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
      if (cert) return cert;
    }
  }
  return absl::PermissionDeniedError(
      "no client certificate: this server identifies callers by mutual TLS (--cert/--key)");
}

bool HostScoped(Permission p) {
  return p == Permission::kAttest || p == Permission::kEnroll || p == Permission::kReadHost ||
         p == Permission::kReadPlacement;
}

bool RoleMay(Role role, Permission p) {
  switch (p) {
    case Permission::kAttest:
    case Permission::kEnroll:
      return role == Role::kAgent;
    case Permission::kReadHost:
      return role == Role::kAgent || role == Role::kOperator || role == Role::kAdmin;
    case Permission::kReadPlacement:
      return true;
    case Permission::kListHosts:
    case Permission::kOperate:
      return role == Role::kOperator || role == Role::kAdmin;
    case Permission::kAdminister:
      return role == Role::kAdmin;
    case Permission::kReadKeys:
      return true;
  }
  return false;
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAgent:
      return "agent";
    case Role::kPlacement:
      return "placement";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

std::optional<Role> RoleFromName(absl::string_view name) {
  for (Role r : {Role::kAgent, Role::kPlacement, Role::kOperator, Role::kAdmin}) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::string Caller::role_name() const {
  if (local) return "local";
  return role ? std::string(RoleName(*role)) : "none";
}

absl::StatusOr<Caller> CallerOf(const ServiceContext& context,
                                const grpc::CallbackServerContext& call) {
  if (context.config.tls().cert_file().empty()) return Caller{};
  auto cert = PeerCertificate(call);
  if (!cert.ok()) return cert.status();
  return CallerOfCertificate(cert->get());
}

absl::StatusOr<Caller> CallerOfCertificate(X509* cert) {
  const std::vector<std::string> names = SubjectValues(cert, NID_commonName);
  const std::vector<std::string> units = SubjectValues(cert, NID_organizationalUnitName);
  if (names.size() != 1 || names[0].empty()) {
    return absl::PermissionDeniedError("the client certificate must have exactly one subject CN");
  }
  std::vector<Role> roles;
  for (const std::string& unit : units) {
    if (auto role = RoleFromName(unit)) roles.push_back(*role);
  }
  if (roles.size() != 1) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the client certificate of \"", names[0],
        "\" must name exactly one role in its subject OU ",
        "(agent, placement, operator or admin); it has OU=[", absl::StrJoin(units, ","), "]"));
  }
  Caller caller;
  caller.identity = names[0];
  caller.role = roles[0];
  caller.local = false;
  return caller;
}

std::string WhyDenied(const Caller& caller, Permission permission, absl::string_view method,
                      absl::string_view host_id) {
  if (caller.local) return "";
  if (!RoleMay(*caller.role, permission)) {
    return absl::StrCat("role ", caller.role_name(), " may not call ", method);
  }
  if (*caller.role == Role::kAgent && HostScoped(permission) && host_id != caller.identity) {
    return absl::StrCat("agent \"", caller.identity, "\" may call ", method,
                        " only for its own host, not for \"", host_id, "\"");
  }
  return "";
}

absl::StatusOr<Caller> Authorize(ServiceContext& context, const grpc::CallbackServerContext& call,
                                 absl::string_view method, Permission permission,
                                 absl::string_view host_id) {
  return Authorize(context, CallerOf(context, call), method, permission, host_id);
}

absl::StatusOr<Caller> Authorize(ServiceContext& context, const absl::StatusOr<Caller>& caller,
                                 absl::string_view method, Permission permission,
                                 absl::string_view host_id) {
  std::string why = caller.ok() ? WhyDenied(*caller, permission, method, host_id)
                                : std::string(caller.status().message());
  if (why.empty()) return caller;
  Caller who = caller.ok() ? *caller : Caller{"unidentified", std::nullopt, false};
  context.metrics->RefusedCall(method, "permission-denied");
  LogEvent("denied", {{"method", method},
                      {"caller", who.identity},
                      {"role", who.role_name()},
                      {"host", host_id},
                      {"msg", why}});
  RecordAudit(context, who, {std::string(method), std::string(host_id), kAuditDenied, why, ""},
              absl::Now());
  return absl::PermissionDeniedError(why);
}

}  // namespace bootgate::service
