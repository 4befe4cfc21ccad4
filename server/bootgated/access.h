// Who is calling and what they may do. With TLS every caller presents a client certificate
// (mutual TLS, ServerConfig.tls.client_ca_file) whose subject OU is its role and whose CN is its
// identity; an agent's CN is the host id it may act for. On a plaintext server (loopback only)
// every caller is "local" and holds every role: the lab setting.
//
// Authorize() is the one gate every RPC passes: a refusal is PERMISSION_DENIED, logged, counted
// (bootgate_refused_calls_total) and recorded in the audit store.
#ifndef BOOTGATE_SERVER_BOOTGATED_ACCESS_H_
#define BOOTGATE_SERVER_BOOTGATED_ACCESS_H_

#include <openssl/x509.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

enum class Role { kAgent, kPlacement, kOperator, kAdmin };

// "agent", "placement", "operator", "admin".
absl::string_view RoleName(Role role);
std::optional<Role> RoleFromName(absl::string_view name);

struct Caller {
  std::string identity = "local";  // the certificate's CN; "local" on a plaintext server
  std::optional<Role> role;        // nullopt for a local caller (who holds every role)
  bool local = true;
  // "local", the role's name, or "none" (a certificate without a role), for logs and audits.
  std::string role_name() const;
};

// What a method needs. Host-scoped permissions let an agent act only for its own host id.
enum class Permission {
  kAttest,         // Attestation.*: agent (own host)
  kEnroll,         // Enrollment.*: agent (own host)
  kReadHost,       // Hosts.Get: agent (own host), operator, admin
  kListHosts,      // Hosts.List: operator, admin
  kReadPlacement,  // Placement.*: agent (own host), placement, operator, admin
  kOperate,        // History.*, PolicyService.Get/Validate/DryRun, Audit.List: operator, admin
  kAdminister,     // PolicyService.Put, Hosts.Register/Revoke/AllowReenroll: admin
  kReadKeys,       // Keys.Get: every authenticated caller
};

// The caller of `call`: its certificate's CN and OU role. PermissionDenied when TLS is on and the
// certificate has no CN or not exactly one known role OU.
absl::StatusOr<Caller> CallerOf(const ServiceContext& context,
                                const grpc::CallbackServerContext& call);

// The caller a verified client certificate names (CallerOf's checks, for any transport).
absl::StatusOr<Caller> CallerOfCertificate(X509* cert);

// Whether `caller` may do `permission` (for `host_id` where the permission is host-scoped).
// Returns an empty string when allowed, else why not ("role agent may not call History.List").
std::string WhyDenied(const Caller& caller, Permission permission, absl::string_view method,
                      absl::string_view host_id);

// CallerOf + WhyDenied; a refusal is logged, counted and audited (outcome "denied") before the
// PermissionDenied status is returned.
absl::StatusOr<Caller> Authorize(ServiceContext& context, const grpc::CallbackServerContext& call,
                                 absl::string_view method, Permission permission,
                                 absl::string_view host_id);
// The same gate for a caller already identified (or not: its error is refused and audited).
absl::StatusOr<Caller> Authorize(ServiceContext& context, const absl::StatusOr<Caller>& caller,
                                 absl::string_view method, Permission permission,
                                 absl::string_view host_id);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_ACCESS_H_
