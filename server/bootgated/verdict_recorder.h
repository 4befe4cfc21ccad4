// Turns an appraisal into a stored, signed verdict: signs it (ES256 JWT), records it durably
// as the attestation with id `attestation_id` (once: the store refuses an id used before) and
// publishes it to Placement watchers. Attest records the verdicts of evidence; Hosts.Revoke
// records the server's own "ak-revoked" verdict the same way, so Placement, History and the
// JWT agree on what happened.
#ifndef BOOTGATE_SERVER_BOOTGATED_VERDICT_RECORDER_H_
#define BOOTGATE_SERVER_BOOTGATED_VERDICT_RECORDER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootgate/v1/attestation.pb.h"
#include "server/bootgated/service_context.h"
#include "verifier/appraisal/appraise.h"
#include "verifier/crypto/hash.h"
#include "verifier/tpm/quote.h"

namespace bootgate::service {

struct VerdictRecord {
  std::string host_id;
  std::string host_group;      // the registered group; used when the appraisal names none
  std::string attestation_id;  // the challenge token's id, or a fresh random id
  crypto::Digest nonce;        // the quote's qualifying data; empty for server-made verdicts
  server::store::AttestationEvidence evidence;
  // Set only for a verified quote: which AK signed it and the TPM clock it carried.
  std::string ak_fingerprint;
  std::optional<tpm::ClockInfo> clock;
  // A re-appraisal of stored evidence (reappraisal.h): the original attestation id, and the
  // store id of the record it judged again, which must still be the host's latest.
  std::string reappraisal_of;
  std::optional<int64_t> only_if_latest;
  // The server's verdict on a revoked host: notified as a revocation (notifier.h) even when the
  // host was not eligible before.
  bool revocation = false;
};

// ALREADY_EXISTS when the id was recorded before (by any replica); NOT_FOUND when the host
// is no longer registered; ABORTED when `only_if_latest` is no longer the host's latest;
// UNAVAILABLE / INTERNAL when the store fails (nothing stored). `record`'s evidence is moved into
// the store's record, not copied.
absl::StatusOr<v1::Verdict> RecordVerdict(ServiceContext& context, VerdictRecord record,
                                          const appraisal::Appraisal& result,
                                          const std::shared_ptr<const ActivePolicy>& active,
                                          absl::Time now);

// An attestation another replica recorded (Store::FollowAttestations): published to this
// replica's Placement watchers when it is still its host's latest, so that every replica's
// Watch sees every verdict and revocation. Store errors are logged and the record skipped.
void PublishRecorded(ServiceContext& context, int64_t id);

// A contraindicated verdict of one finding, issued by the server itself (no evidence).
appraisal::Appraisal ServerVerdict(const std::shared_ptr<const ActivePolicy>& active,
                                   const std::string& group, appraisal::Finding finding,
                                   absl::Time now);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_VERDICT_RECORDER_H_
