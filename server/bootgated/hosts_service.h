// Hosts.Register / Get: the admin-registered trust path (trust_path "admin-registered").
#ifndef BOOTGATE_SERVER_BOOTGATED_HOSTS_SERVICE_H_
#define BOOTGATE_SERVER_BOOTGATED_HOSTS_SERVICE_H_

#include <openssl/evp.h>

#include <string>

#include "absl/status/statusor.h"
#include "bootgate/v1/hosts.grpc.pb.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

// Lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo: the AK's stable identity.
// Internal when OpenSSL fails.
absl::StatusOr<std::string> AkFingerprint(EVP_PKEY* key);

// Validates and stores (replacing) a host. INVALID_ARGUMENT for a bad host id or AK.
absl::StatusOr<v1::Host> RegisterHost(ServiceContext& context, const v1::RegisterHostRequest& r,
                                      const std::string& registered_by, absl::Time now);
absl::StatusOr<v1::Host> GetHost(ServiceContext& context, const std::string& host_id);

class HostsService final : public v1::Hosts::CallbackService {
 public:
  explicit HostsService(ServiceContext* context) : context_(context) {}
  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* call,
                                     const v1::RegisterHostRequest* request,
                                     v1::Host* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* call,
                                const v1::GetHostRequest* request, v1::Host* response) override;

 private:
  ServiceContext* context_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_HOSTS_SERVICE_H_
