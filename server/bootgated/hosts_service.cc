#include "server/bootgated/hosts_service.h"

#include <openssl/x509.h>

#include <span>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/attestation_id.h"
#include "server/bootgated/audit_trail.h"
#include "server/bootgated/convert.h"
#include "server/bootgated/serve.h"
#include "server/bootgated/verdict_recorder.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/hash.h"
#include "verifier/tpm/ak_public.h"

namespace bootgate::service {
namespace {

// The store keeps "-" for a host registered without a group (the policy decides the group).
constexpr char kNoGroup[] = "-";

absl::Status RequireReason(const v1::HostActionRequest& r) {
  RETURN_IF_ERROR(CheckHostId(r.host_id()));
  if (r.reason().empty()) {
    return absl::InvalidArgumentError("reason is required: it is kept in the audit log");
  }
  return absl::OkStatus();
}

absl::StatusOr<server::store::Host> LoadHost(ServiceContext& context, const std::string& host_id) {
  auto host = context.store->GetHost(host_id);
  if (absl::IsNotFound(host.status())) {
    return absl::NotFoundError(absl::StrCat("host \"", host_id, "\" is not registered"));
  }
  return host;
}

// The verdict that makes a revoked host ineligible at once and says why in its history.
absl::Status RecordRevocationVerdict(ServiceContext& context, const server::store::Host& host,
                                     const Caller& caller, const std::string& reason,
                                     absl::Time now) {
  appraisal::Finding f;
  f.code = "ak-revoked";
  f.layer = appraisal::Layer::kEvidence;
  f.seen = absl::StrCat("AK ", host.ak_name.substr(0, 16), " revoked by ", caller.identity);
  f.message = absl::StrCat("the host's AK was revoked by ", caller.identity, ": ", reason);
  f.hint = "an admin allows re-enrollment (`bootgate host reenroll`), then the host enrolls again";
  VerdictRecord record;
  record.host_id = host.host_id;
  record.host_group = host.group == kNoGroup ? "" : host.group;
  record.revocation = true;
  ASSIGN_OR_RETURN(record.attestation_id, server::RandomAttestationId(now));
  // The group the policy put the host in, as its latest verdict says: group watchers see it.
  std::string group;
  if (auto latest = context.store->LatestVerdict(host.host_id); latest.ok() && *latest) {
    group = (*latest)->group;
  }
  auto active = context.policies->Current();
  return RecordVerdict(context, record, ServerVerdict(active, group, std::move(f), now), active,
                       now)
      .status();
}

// One caught rollback, as Host.open_rollback and the audit log show it.
std::string RollbackText(const server::store::TpmRollback& r) {
  return absl::StrCat(r.code, " at ",
                      absl::FormatTime(absl::RFC3339_sec, r.detected_at, absl::UTCTimeZone()),
                      " (AK ", r.ak_name.substr(0, 16), "): ", r.seen, "; expected ", r.allowed);
}

}  // namespace

absl::Status CheckHostId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("host_id is required");
  if (id.size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("host_id is ", id.size(), " bytes; at most 255"));
  }
  for (char c : id) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(
          "host_id must be printable ASCII without spaces or control characters");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> AkFingerprint(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return absl::InternalError("cannot DER-encode the AK public key");
  std::vector<uint8_t> bytes(der, der + len);
  OPENSSL_free(der);
  ASSIGN_OR_RETURN(crypto::Digest digest, crypto::Hash(crypto::HashAlg::kSha256, bytes));
  return bytes::ToHex(digest);
}

absl::StatusOr<v1::Host> HostView(ServiceContext& context, const server::store::Host& h) {
  v1::Host out;
  out.set_host_id(h.host_id);
  if (h.group != kNoGroup) out.set_group(h.group);
  out.set_ak_public(h.ak_public);
  out.set_ak_fingerprint(h.ak_name);
  *out.mutable_registered_at() = ToTimestamp(h.registered_at);
  out.set_registered_by(h.registered_by);
  out.set_trust_path(h.trust_path);
  out.set_ek_fingerprint(h.ek_fingerprint);
  out.set_revoked(h.status == server::store::kHostRevoked);
  out.set_status_changed_by(h.status_changed_by);
  if (h.status_changed_at != absl::UnixEpoch()) {
    *out.mutable_status_changed_at() = ToTimestamp(h.status_changed_at);
  }
  out.set_status_reason(h.status_reason);
  out.set_reenroll_allowed(h.reenroll_allowed);
  ASSIGN_OR_RETURN(std::vector<server::store::TpmRollback> open,
                   context.store->OpenRollbacks(h.host_id));
  if (!open.empty()) out.set_open_rollback(RollbackText(open.front()));
  auto latest = context.store->LatestVerdict(h.host_id);
  if (latest.ok() && latest->has_value()) {
    out.set_last_attestation_id((*latest)->token_id);
  } else if (!latest.ok() && !absl::IsNotFound(latest.status())) {
    return latest.status();  // NotFound: the host went meanwhile, shown as it was read
  }
  return out;
}

absl::StatusOr<v1::Host> RegisterHost(ServiceContext& context, const v1::RegisterHostRequest& r,
                                      const Caller& caller, absl::Time now) {
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
  server::store::Host host;
  host.host_id = r.host_id();
  host.group = r.group().empty() ? kNoGroup : r.group();
  host.ak_public = r.ak_public();
  ASSIGN_OR_RETURN(host.ak_name, AkFingerprint(ak->key.get()));
  host.registered_at = now;
  host.registered_by = caller.identity;
  host.trust_path = server::store::kTrustPathAdminRegistered;
  // A revoked AK is never bound again, not even on an admin's word.
  ASSIGN_OR_RETURN(std::optional<server::store::RevokedAk> revoked,
                   context.store->RevokedAkInfo(host.ak_name));
  if (revoked) return absl::FailedPreconditionError(server::store::RevokedAkMessage(*revoked));
  RETURN_IF_ERROR(context.store->RegisterHost(host, /*replace=*/true));
  RecordAudit(context, caller,
              {"host.register", host.host_id, kAuditOk, r.reason(),
               absl::StrCat("trust_path=admin-registered (lab path: the AK is trusted on the "
                            "admin's word, not proven by an EK) ak_sha256=",
                            host.ak_name)},
              now);
  return HostView(context, host);
}

absl::StatusOr<v1::Host> GetHost(ServiceContext& context, const std::string& host_id) {
  if (host_id.empty()) return absl::InvalidArgumentError("host_id is required");
  ASSIGN_OR_RETURN(server::store::Host host, LoadHost(context, host_id));
  return HostView(context, host);
}

absl::StatusOr<v1::Host> RevokeHost(ServiceContext& context, const v1::HostActionRequest& r,
                                    const Caller& caller, absl::Time now) {
  RETURN_IF_ERROR(RequireReason(r));
  ASSIGN_OR_RETURN(server::store::Host host, LoadHost(context, r.host_id()));
  RETURN_IF_ERROR(context.store->RevokeHost(r.host_id(), caller.identity, r.reason(), now));
  RecordAudit(context, caller,
              {"host.revoke", r.host_id(), kAuditOk, r.reason(),
               absl::StrCat("ak_sha256=", host.ak_name, " ek_sha256=", host.ek_fingerprint)},
              now);
  RETURN_IF_ERROR(RecordRevocationVerdict(context, host, caller, r.reason(), now));
  return GetHost(context, r.host_id());
}

absl::StatusOr<v1::Host> AllowReenroll(ServiceContext& context, const v1::HostActionRequest& r,
                                       const Caller& caller, absl::Time now) {
  RETURN_IF_ERROR(RequireReason(r));
  RETURN_IF_ERROR(LoadHost(context, r.host_id()).status());
  RETURN_IF_ERROR(context.store->AllowReenroll(r.host_id(), caller.identity, r.reason(), now));
  RecordAudit(context, caller, {"host.reenroll-allowed", r.host_id(), kAuditOk, r.reason(), ""},
              now);
  return GetHost(context, r.host_id());
}

absl::StatusOr<v1::Host> AcknowledgeRollback(ServiceContext& context,
                                             const v1::HostActionRequest& r, const Caller& caller,
                                             absl::Time now) {
  RETURN_IF_ERROR(RequireReason(r));
  RETURN_IF_ERROR(LoadHost(context, r.host_id()).status());
  ASSIGN_OR_RETURN(std::vector<server::store::TpmRollback> cleared,
                   context.store->ClearRollbacks(r.host_id(), caller.identity, r.reason(), now));
  std::string details;
  for (const server::store::TpmRollback& rollback : cleared) {
    absl::StrAppend(&details, details.empty() ? "" : "; ", RollbackText(rollback));
  }
  RecordAudit(context, caller,
              {"host.rollback-acknowledged", r.host_id(), kAuditOk, r.reason(), details}, now);
  return GetHost(context, r.host_id());
}

grpc::ServerUnaryReactor* HostsService::Register(grpc::CallbackServerContext* call,
                                                 const v1::RegisterHostRequest* request,
                                                 v1::Host* response) {
  static constexpr MethodSpec kRegister{"Hosts.Register", Permission::kAdminister, true};
  return ServeUnary(context_, call, kRegister, request->host_id(), request, response,
                    [](const Call& c, const v1::RegisterHostRequest& r) {
                      return RegisterHost(c.context, r, c.caller, absl::Now());
                    });
}

grpc::ServerUnaryReactor* HostsService::Get(grpc::CallbackServerContext* call,
                                            const v1::GetHostRequest* request, v1::Host* response) {
  static constexpr MethodSpec kGet{"Hosts.Get", Permission::kReadHost};
  return ServeUnary(
      context_, call, kGet, request->host_id(), request, response,
      [](const Call& c, const v1::GetHostRequest& r) { return GetHost(c.context, r.host_id()); });
}

grpc::ServerUnaryReactor* HostsService::List(grpc::CallbackServerContext* call,
                                             const v1::ListHostsRequest* request,
                                             v1::ListHostsResponse* response) {
  static constexpr MethodSpec kList{"Hosts.List", Permission::kListHosts};
  return ServeUnary(
      context_, call, kList, "", request, response,
      [](const Call& c, const v1::ListHostsRequest&) -> absl::StatusOr<v1::ListHostsResponse> {
        ASSIGN_OR_RETURN(auto hosts, c.context.store->ListHosts());
        v1::ListHostsResponse out;
        for (const server::store::Host& h : hosts) {
          ASSIGN_OR_RETURN(*out.add_hosts(), HostView(c.context, h));
        }
        return out;
      });
}

grpc::ServerUnaryReactor* HostsService::Revoke(grpc::CallbackServerContext* call,
                                               const v1::HostActionRequest* request,
                                               v1::Host* response) {
  static constexpr MethodSpec kRevoke{"Hosts.Revoke", Permission::kAdminister, true};
  return ServeUnary(context_, call, kRevoke, request->host_id(), request, response,
                    [](const Call& c, const v1::HostActionRequest& r) {
                      return RevokeHost(c.context, r, c.caller, absl::Now());
                    });
}

grpc::ServerUnaryReactor* HostsService::AllowReenroll(grpc::CallbackServerContext* call,
                                                      const v1::HostActionRequest* request,
                                                      v1::Host* response) {
  static constexpr MethodSpec kAllow{"Hosts.AllowReenroll", Permission::kAdminister, true};
  return ServeUnary(context_, call, kAllow, request->host_id(), request, response,
                    [](const Call& c, const v1::HostActionRequest& r) {
                      return service::AllowReenroll(c.context, r, c.caller, absl::Now());
                    });
}

grpc::ServerUnaryReactor* HostsService::AcknowledgeRollback(grpc::CallbackServerContext* call,
                                                            const v1::HostActionRequest* request,
                                                            v1::Host* response) {
  static constexpr MethodSpec kAck{"Hosts.AcknowledgeRollback", Permission::kAdminister, true};
  return ServeUnary(context_, call, kAck, request->host_id(), request, response,
                    [](const Call& c, const v1::HostActionRequest& r) {
                      return service::AcknowledgeRollback(c.context, r, c.caller, absl::Now());
                    });
}

}  // namespace bootgate::service
