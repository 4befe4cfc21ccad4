#include "server/bootgated/enrollment_service.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/bootgated/audit_trail.h"
#include "server/bootgated/convert.h"
#include "server/bootgated/hosts_service.h"
#include "server/bootgated/serve.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/hash.h"
#include "verifier/enroll/certificate_chain.h"
#include "verifier/enroll/make_credential.h"
#include "verifier/enroll/tpm_public.h"
#include "verifier/tpm/ak_public.h"

namespace bootgate::service {
namespace {

constexpr size_t kMaxTpmPublicBytes = 4096;
constexpr size_t kMaxCertificateBytes = 16 * 1024;
constexpr size_t kSecretBytes = 32;  // a SHA-256 digest: what an EK with nameAlg SHA-256 carries

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

absl::Status CheckSize(const std::string& value, size_t limit, const char* field) {
  if (value.size() <= limit) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " is ", value.size(), " bytes; at most ", limit));
}

absl::StatusOr<std::vector<uint8_t>> RandomBytes(size_t n) {
  std::vector<uint8_t> out(n);
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1)
    return absl::InternalError("RAND_bytes failed");
  return out;
}

// The AK as enrollment needs it: a TPM2B_PUBLIC with the attributes of an attestation key.
struct CheckedAk {
  enroll::TpmPublic tpm;    // the public area and the TPM Name
  std::string fingerprint;  // SHA-256 of its SPKI: the AK identity attestations are recorded under
  crypto::EvpPkeyPtr key;
};

absl::StatusOr<CheckedAk> CheckAk(const std::string& ak_public) {
  if (ak_public.empty()) {
    return absl::InvalidArgumentError(
        "ak_public is required: the AK's TPM2B_PUBLIC (`tpm2_createak -u`, `tpm2_readpublic -o`)");
  }
  RETURN_IF_ERROR(CheckSize(ak_public, kMaxTpmPublicBytes, "ak_public"));
  auto tpm = enroll::ParseTpmPublic(Bytes(ak_public));
  if (!tpm.ok())
    return absl::InvalidArgumentError(absl::StrCat("ak_public: ", tpm.status().message()));
  RETURN_IF_ERROR(enroll::CheckAkAttributes(tpm->area));
  auto parsed = tpm::ParseAkPublic(Bytes(ak_public));
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("ak_public: ", parsed.status().message()));
  }
  CheckedAk out{*std::move(tpm), "", std::move(parsed->key)};
  ASSIGN_OR_RETURN(out.fingerprint, AkFingerprint(out.key.get()));
  return out;
}

server::store::Host HostFrom(const std::string& host_id, const std::string& group,
                             const std::string& ak_public, const std::string& ak_fingerprint,
                             const std::string& ek_fingerprint, const char* trust_path,
                             const Caller& caller, absl::Time now) {
  server::store::Host host;
  host.host_id = host_id;
  host.group = group.empty() ? "-" : group;
  host.ak_public = ak_public;
  host.ak_name = ak_fingerprint;
  host.ek_fingerprint = ek_fingerprint;
  host.trust_path = trust_path;
  host.registered_at = now;
  host.registered_by = caller.identity;
  return host;
}

absl::StatusOr<v1::Host> Bind(ServiceContext& context, const server::store::Host& host,
                              const Caller& caller, absl::Time now) {
  RETURN_IF_ERROR(context.store->BindEnrolledHost(host));
  RecordAudit(context, caller,
              {"host.enroll", host.host_id, kAuditOk, "",
               absl::StrCat("trust_path=", host.trust_path, " ek_sha256=", host.ek_fingerprint,
                            " ak_sha256=", host.ak_name)},
              now);
  return GetHost(context, host.host_id);
}

// The cloud vTPM path: the platform's CA vouches for the AK; bound at once.
absl::StatusOr<v1::StartEnrollmentResponse> EnrollWithAkCertificate(
    ServiceContext& context, const v1::StartEnrollmentRequest& r, const CheckedAk& ak,
    const Caller& caller, absl::Time now) {
  const std::shared_ptr<const EnrollmentTrust> trust = context.enrollment->Get();
  if (!trust->ak_cas) {
    return absl::FailedPreconditionError(
        "this bootgated trusts no AK certificate CA (enrollment.ak_ca_files): enroll with the EK "
        "certificate instead");
  }
  RETURN_IF_ERROR(CheckSize(r.ak_certificate(), kMaxCertificateBytes, "ak_certificate"));
  ASSIGN_OR_RETURN(enroll::VerifiedCertificate cert,
                   enroll::VerifyCertificateChain(Bytes(r.ak_certificate()), *trust->ak_cas, now,
                                                  "AK certificate"));
  if (cert.common_name != r.host_id()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the AK certificate is for \"", cert.common_name,
                     "\" (subject CN), not for host \"", r.host_id(), "\""));
  }
  if (EVP_PKEY_eq(cert.key.get(), ak.key.get()) != 1) {
    return absl::InvalidArgumentError("the AK certificate certifies another key than ak_public");
  }
  // No EK is known on this path: the host id is bound to the certified AK itself, so a new AK
  // (even with a valid certificate) needs an admin's AllowReenroll like another TPM would.
  v1::StartEnrollmentResponse out;
  ASSIGN_OR_RETURN(
      *out.mutable_host(),
      Bind(context,
           HostFrom(r.host_id(), r.group(), r.ak_public(), ak.fingerprint, "ak:" + ak.fingerprint,
                    server::store::kTrustPathAkCertificate, caller, now),
           caller, now));
  return out;
}

// The EK the credential is made for: the certified key, with the public area the agent sent
// (which must hold that key) or the TCG default template's.
absl::StatusOr<TPMT_PUBLIC> EkPublicArea(const v1::StartEnrollmentRequest& r, EVP_PKEY* ek_key) {
  if (r.ek_public().empty()) return enroll::DefaultEkPublic(ek_key);
  RETURN_IF_ERROR(CheckSize(r.ek_public(), kMaxTpmPublicBytes, "ek_public"));
  auto ek = enroll::ParseTpmPublic(Bytes(r.ek_public()));
  if (!ek.ok())
    return absl::InvalidArgumentError(absl::StrCat("ek_public: ", ek.status().message()));
  auto matches = enroll::CheckEkMatchesKey(ek->area, ek_key);
  if (!matches.ok()) return absl::InvalidArgumentError(matches.message());
  return ek->area;
}

}  // namespace

absl::StatusOr<v1::StartEnrollmentResponse> StartEnrollment(ServiceContext& context,
                                                            const v1::StartEnrollmentRequest& r,
                                                            const Caller& caller, absl::Time now) {
  RETURN_IF_ERROR(CheckHostId(r.host_id()));
  ASSIGN_OR_RETURN(CheckedAk ak, CheckAk(r.ak_public()));
  if (!r.ak_certificate().empty()) return EnrollWithAkCertificate(context, r, ak, caller, now);

  if (r.ek_certificate().empty()) {
    return absl::InvalidArgumentError(
        "ek_certificate is required: bootgated binds AKs only to TPMs whose EK certificate chains "
        "to a trusted manufacturer CA (or send an ak_certificate from a trusted vTPM CA)");
  }
  const std::shared_ptr<const EnrollmentTrust> trust = context.enrollment->Get();
  if (!trust->ek_cas) {
    return absl::FailedPreconditionError(
        "this bootgated trusts no EK CA: configure enrollment.ek_ca_files");
  }
  RETURN_IF_ERROR(CheckSize(r.ek_certificate(), kMaxCertificateBytes, "ek_certificate"));
  ASSIGN_OR_RETURN(enroll::VerifiedCertificate ek_cert,
                   enroll::VerifyCertificateChain(Bytes(r.ek_certificate()), *trust->ek_cas, now,
                                                  "EK certificate"));
  ASSIGN_OR_RETURN(TPMT_PUBLIC ek, EkPublicArea(r, ek_cert.key.get()));
  ASSIGN_OR_RETURN(std::string ek_fingerprint, enroll::KeyFingerprint(ek_cert.key.get()));
  // Refuse now what Finish would refuse (another TPM's host, a revoked host, a TPM that already
  // speaks for another host) rather than after the agent's activation.
  RETURN_IF_ERROR(context.store->CheckBinding(
      HostFrom(r.host_id(), r.group(), r.ak_public(), ak.fingerprint, ek_fingerprint,
               server::store::kTrustPathEnrolled, caller, now)));

  ASSIGN_OR_RETURN(std::vector<uint8_t> secret, RandomBytes(kSecretBytes));
  ASSIGN_OR_RETURN(enroll::Credential credential, enroll::MakeCredential(ek, ak.tpm.name, secret));
  ASSIGN_OR_RETURN(crypto::Digest secret_digest, crypto::Hash(crypto::HashAlg::kSha256, secret));
  ASSIGN_OR_RETURN(std::vector<uint8_t> id, RandomBytes(16));

  server::store::PendingEnrollment pending;
  pending.enrollment_id = bytes::ToHex(id);
  pending.host_id = r.host_id();
  pending.group = r.group();
  pending.ek_fingerprint = ek_fingerprint;
  pending.ak_public = r.ak_public();
  pending.ak_name = ak.fingerprint;
  pending.secret_sha256.assign(secret_digest.begin(), secret_digest.end());
  pending.trust_path = server::store::kTrustPathEnrolled;
  pending.created_at = now;
  pending.expires_at = now + trust->pending_ttl;
  pending.requested_by = caller.identity;
  RETURN_IF_ERROR(context.store->PutPendingEnrollment(pending));

  v1::StartEnrollmentResponse out;
  out.set_enrollment_id(pending.enrollment_id);
  out.set_credential_blob(credential.credential_blob.data(), credential.credential_blob.size());
  out.set_encrypted_secret(credential.encrypted_secret.data(), credential.encrypted_secret.size());
  *out.mutable_expires_at() = ToTimestamp(pending.expires_at);
  return out;
}

absl::StatusOr<v1::Host> FinishEnrollment(ServiceContext& context,
                                          const v1::FinishEnrollmentRequest& r,
                                          const Caller& caller, absl::Time now) {
  RETURN_IF_ERROR(CheckHostId(r.host_id()));
  if (r.enrollment_id().empty()) return absl::InvalidArgumentError("enrollment_id is required");
  if (r.secret().empty() || r.secret().size() > 64) {
    return absl::InvalidArgumentError("secret is required: what TPM2_ActivateCredential returned");
  }
  // Taken (and so spent) whatever happens next: a wrong guess cannot be retried.
  auto pending = context.store->TakePendingEnrollment(r.enrollment_id(), now);
  if (absl::IsNotFound(pending.status())) {
    return absl::NotFoundError(absl::StrCat("no pending enrollment ",
                                            r.enrollment_id().substr(0, 40),
                                            ": it was used, it expired (enrollment.pending_ttl) or "
                                            "it never started; call Start again"));
  }
  if (!pending.ok()) return pending.status();
  if (pending->host_id != r.host_id()) {
    return absl::PermissionDeniedError(
        absl::StrCat("enrollment ", r.enrollment_id(),
                     " was started for another host: an activation cannot be "
                     "replayed for host \"",
                     r.host_id(), "\""));
  }
  ASSIGN_OR_RETURN(crypto::Digest digest,
                   crypto::Hash(crypto::HashAlg::kSha256, Bytes(r.secret())));
  if (!crypto::ConstantTimeEquals(digest, Bytes(pending->secret_sha256))) {
    return absl::PermissionDeniedError(
        "the activation secret does not match: the AK was not activated by the TPM whose EK "
        "certificate was presented; start the enrollment again");
  }
  return Bind(context,
              HostFrom(pending->host_id, pending->group, pending->ak_public, pending->ak_name,
                       pending->ek_fingerprint, server::store::kTrustPathEnrolled, caller, now),
              caller, now);
}

grpc::ServerUnaryReactor* EnrollmentService::Start(grpc::CallbackServerContext* call,
                                                   const v1::StartEnrollmentRequest* request,
                                                   v1::StartEnrollmentResponse* response) {
  static constexpr MethodSpec kStart{"Enrollment.Start", Permission::kEnroll, true};
  return ServeUnary(context_, call, kStart, request->host_id(), request, response,
                    [](const Call& c, const v1::StartEnrollmentRequest& r) {
                      return StartEnrollment(c.context, r, c.caller, absl::Now());
                    });
}

grpc::ServerUnaryReactor* EnrollmentService::Finish(grpc::CallbackServerContext* call,
                                                    const v1::FinishEnrollmentRequest* request,
                                                    v1::Host* response) {
  static constexpr MethodSpec kFinish{"Enrollment.Finish", Permission::kEnroll, true};
  return ServeUnary(context_, call, kFinish, request->host_id(), request, response,
                    [](const Call& c, const v1::FinishEnrollmentRequest& r) {
                      return FinishEnrollment(c.context, r, c.caller, absl::Now());
                    });
}

}  // namespace bootgate::service
