#include "server/bootgated/hosts_service.h"

#include <openssl/x509.h>

#include <span>
#include <vector>

#include "absl/time/clock.h"
#include "absl/strings/str_cat.h"
#include "server/bootgated/convert.h"
#include "server/bootgated/request_log.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/hash.h"
#include "verifier/tpm/ak_public.h"

namespace bootgate::service {
namespace {

absl::Status CheckHostId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("host_id is required");
  if (id.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat("host_id is ", id.size(), " bytes; at most 255"));
  }
  for (char c : id) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(
          "host_id must be printable ASCII without spaces or control characters");
    }
  }
  return absl::OkStatus();
}

v1::Host HostToProto(const server::store::Host& h, const std::string& fingerprint) {
  v1::Host out;
  out.set_host_id(h.host_id);
  out.set_group(h.group);
  out.set_ak_public(h.ak_public);
  out.set_ak_fingerprint(fingerprint);
  *out.mutable_registered_at() = ToTimestamp(h.registered_at);
  return out;
}

}  // namespace

absl::StatusOr<std::string> AkFingerprint(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return absl::InternalError("cannot DER-encode the AK public key");
  std::vector<uint8_t> bytes(der, der + len);
  OPENSSL_free(der);
  ASSIGN_OR_RETURN(crypto::Digest digest, crypto::Hash(crypto::HashAlg::kSha256, bytes));
  return bytes::ToHex(digest);
}

absl::StatusOr<v1::Host> RegisterHost(ServiceContext& context, const v1::RegisterHostRequest& r,
                                      const std::string& registered_by, absl::Time now) {
  RETURN_IF_ERROR(CheckHostId(r.host_id()));
  if (r.ak_public().empty()) {
    return absl::InvalidArgumentError(
        "ak_public is required: the AK as PEM (`tpm2_readpublic -f pem`) or TPM2B_PUBLIC");
  }
  auto ak = tpm::ParseAkPublic(
      {reinterpret_cast<const uint8_t*>(r.ak_public().data()), r.ak_public().size()});
  if (!ak.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("ak_public: ", ak.status().message()));
  }
  ASSIGN_OR_RETURN(std::string fingerprint, AkFingerprint(ak->key.get()));
  server::store::Host host;
  host.host_id = r.host_id();
  // The store wants a group; the policy decides the one that applies.
  host.group = r.group().empty() ? "-" : r.group();
  host.ak_public = r.ak_public();
  host.ak_name = fingerprint;
  host.registered_at = now;
  host.registered_by = registered_by;
  host.trust_path = server::store::kTrustPathAdminRegistered;
  RETURN_IF_ERROR(context.store->RegisterHost(host, /*replace=*/true));
  v1::Host out = HostToProto(host, fingerprint);
  out.set_group(r.group());
  return out;
}

absl::StatusOr<v1::Host> GetHost(ServiceContext& context, const std::string& host_id) {
  if (host_id.empty()) return absl::InvalidArgumentError("host_id is required");
  auto host = context.store->GetHost(host_id);
  if (absl::IsNotFound(host.status())) {
    return absl::NotFoundError(absl::StrCat("host \"", host_id, "\" is not registered"));
  }
  if (!host.ok()) return host.status();
  std::string fingerprint = host->ak_name;
  v1::Host out = HostToProto(*host, fingerprint);
  if (host->group == "-") out.clear_group();
  auto latest = context.store->LatestAttestation(host_id);
  if (latest.ok()) out.set_last_attestation_id(latest->token_id);
  return out;
}

grpc::ServerUnaryReactor* HostsService::Register(grpc::CallbackServerContext* call,
                                                 const v1::RegisterHostRequest* request,
                                                 v1::Host* response) {
  auto* reactor = call->DefaultReactor();
  context_->workers->Submit([this, call, request, response, reactor] {
    RequestLog log(context_->metrics.get(), "Hosts.Register");
    log.set_host(request->host_id());
    auto admin = AdminIdentity(*context_, *call);
    absl::StatusOr<v1::Host> result =
        admin.ok() ? RegisterHost(*context_, *request, *admin, absl::Now())
                   : absl::StatusOr<v1::Host>(admin.status());
    if (result.ok()) *response = *std::move(result);
    reactor->Finish(log.Done(ToGrpcStatus(result.status())));
  });
  return reactor;
}

grpc::ServerUnaryReactor* HostsService::Get(grpc::CallbackServerContext* call,
                                            const v1::GetHostRequest* request, v1::Host* response) {
  auto* reactor = call->DefaultReactor();
  context_->workers->Submit([this, request, response, reactor] {
    RequestLog log(context_->metrics.get(), "Hosts.Get");
    log.set_host(request->host_id());
    auto result = GetHost(*context_, request->host_id());
    if (result.ok()) *response = *std::move(result);
    reactor->Finish(log.Done(ToGrpcStatus(result.status())));
  });
  return reactor;
}

}  // namespace bootgate::service
