// Attestation.Challenge / Attest (proto/bootgate/v1/attestation.proto): tokens, appraisal with
// the host's registered AK only, TPM counter checks, signing, durable storage, placement news.
#ifndef BOOTGATE_SERVER_BOOTGATED_ATTESTATION_SERVICE_H_
#define BOOTGATE_SERVER_BOOTGATED_ATTESTATION_SERVICE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "bootgate/v1/attestation.grpc.pb.h"
#include "server/bootgated/service_context.h"
#include "verifier/appraisal/appraisal.h"
#include "verifier/tpm/quote.h"

namespace bootgate::service {

// The whole Attest pipeline without gRPC: the verdict, or the status attestation.proto lists
// (INVALID_ARGUMENT, RESOURCE_EXHAUSTED, NOT_FOUND, UNAUTHENTICATED, PERMISSION_DENIED,
// FAILED_PRECONDITION, ALREADY_EXISTS; UNAVAILABLE/INTERNAL when the store fails). On any error
// nothing is stored. Blocks until the record is durable. The event log is moved out of
// `request` into the stored record once appraised (a log of up to 16 MiB is not copied).
absl::StatusOr<v1::Verdict> Attest(ServiceContext& context, v1::AttestRequest& request,
                                   absl::Time now);

// What Attest does to an appraisal after AppraiseEvidence, shared with the re-appraisal of
// stored evidence (reappraisal.h) so that both judge alike: a "no-policy" finding when
// `have_policy` is false; for a quote whose signature verified (no evidence-layer finding),
// the TPM rollback check of `quote` against `state.highest`, the highest counters the host's
// AK (`ak_fingerprint`) ever had accepted; a rollback caught earlier and still open
// (`state.open`) keeps the host contraindicated. `state` is Store::GetHostForAttest's. A new
// rollback is recorded in the store only when `record_rollback` (Attest; a re-appraisal only
// reports it). Returns the quote's clock info when it is trustworthy (nullopt otherwise).
enum class RollbackRecording { kRecord, kReportOnly };
absl::StatusOr<std::optional<tpm::ClockInfo>> AddServerFindings(
    ServiceContext& context, const std::string& host_id, const std::string& quote,
    const std::string& ak_fingerprint, const server::store::RollbackState& state, bool have_policy,
    RollbackRecording recording, absl::Time now, appraisal::Appraisal& result);

absl::StatusOr<v1::ChallengeResponse> Challenge(ServiceContext& context,
                                                const v1::ChallengeRequest& request,
                                                absl::Time now);

struct Call;
struct MethodSpec;

// Attest as served (serve.h's RunServed): refuses a call whose deadline already passed (its
// token is not consumed), then Attest, with the tier logged and the latency observed.
absl::StatusOr<v1::Verdict> ServeAttest(const Call& call, v1::AttestRequest& request);
extern const MethodSpec kAttestMethod;
extern const MethodSpec kChallengeMethod;

// Attestation.Challenge only, registered as the generated CallbackService registers it: Attest
// is served by AttestReceiver (attest_receiver.h), which bounds how its large requests are read.
// (The generated WithGenericMethod_Attest would do, but gRPC 1.51 accepts methods marked
// generic only beside an async generic service, not a callback one.)
class AttestationService final : public grpc::Service {
 public:
  explicit AttestationService(ServiceContext* context);

  grpc::ServerUnaryReactor* Challenge(grpc::CallbackServerContext* call,
                                      const v1::ChallengeRequest* request,
                                      v1::ChallengeResponse* response);

 private:
  ServiceContext* context_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_ATTESTATION_SERVICE_H_
