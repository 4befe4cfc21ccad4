// Hosts (proto/bootgate/v1/hosts.proto): the host registry and the AK lifecycle. Register is
// the lab path (trust_path "admin-registered", marked so in the audit); Revoke stores an
// "ak-revoked" verdict so the host is ineligible at once; AllowReenroll lets the next
// enrollment bind another TPM.
#ifndef BOOTGATE_SERVER_BOOTGATED_HOSTS_SERVICE_H_
#define BOOTGATE_SERVER_BOOTGATED_HOSTS_SERVICE_H_

#include <openssl/evp.h>

#include <string>

#include "absl/status/statusor.h"
#include "bootgate/v1/hosts.grpc.pb.h"
#include "server/bootgated/access.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

// Lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo: the AK's stable identity.
// Internal when OpenSSL fails.
absl::StatusOr<std::string> AkFingerprint(EVP_PKEY* key);

// InvalidArgument unless `id` is 1..255 bytes of printable ASCII without spaces.
absl::Status CheckHostId(const std::string& id);

// The stored host as the API shows it (with its latest attestation id when it has one).
absl::StatusOr<v1::Host> HostView(ServiceContext& context, const server::store::Host& host);

// Validates and stores (replacing) a host. INVALID_ARGUMENT for a bad host id or AK.
absl::StatusOr<v1::Host> RegisterHost(ServiceContext& context, const v1::RegisterHostRequest& r,
                                      const Caller& caller, absl::Time now);
absl::StatusOr<v1::Host> GetHost(ServiceContext& context, const std::string& host_id);
absl::StatusOr<v1::Host> RevokeHost(ServiceContext& context, const v1::HostActionRequest& r,
                                    const Caller& caller, absl::Time now);
absl::StatusOr<v1::Host> AllowReenroll(ServiceContext& context, const v1::HostActionRequest& r,
                                       const Caller& caller, absl::Time now);
// Closes the host's open TPM rollbacks (audited: host.rollback-acknowledged). NOT_FOUND for an
// unknown host, FAILED_PRECONDITION when none is open, INVALID_ARGUMENT without a reason.
absl::StatusOr<v1::Host> AcknowledgeRollback(ServiceContext& context,
                                             const v1::HostActionRequest& r, const Caller& caller,
                                             absl::Time now);

class HostsService final : public v1::Hosts::CallbackService {
 public:
  explicit HostsService(ServiceContext* context) : context_(context) {}
  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* call,
                                     const v1::RegisterHostRequest* request,
                                     v1::Host* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* call,
                                const v1::GetHostRequest* request, v1::Host* response) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* call,
                                 const v1::ListHostsRequest* request,
                                 v1::ListHostsResponse* response) override;
  grpc::ServerUnaryReactor* Revoke(grpc::CallbackServerContext* call,
                                   const v1::HostActionRequest* request,
                                   v1::Host* response) override;
  grpc::ServerUnaryReactor* AllowReenroll(grpc::CallbackServerContext* call,
                                          const v1::HostActionRequest* request,
                                          v1::Host* response) override;
  grpc::ServerUnaryReactor* AcknowledgeRollback(grpc::CallbackServerContext* call,
                                                const v1::HostActionRequest* request,
                                                v1::Host* response) override;

 private:
  ServiceContext* context_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_HOSTS_SERVICE_H_
