// Conversions at the server's edge: verifier findings and stored records <-> bootgate.v1
// messages. The store keeps a verdict's findings and the facts the record has no column for
// (policy version string, exceptions used, qualifying data) as one JSON document,
// Attestation::findings_json, written and read only here.
#ifndef BOOTGATE_SERVER_BOOTGATED_CONVERT_H_
#define BOOTGATE_SERVER_BOOTGATED_CONVERT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootgate/v1/attestation.pb.h"
#include "bootgate/v1/history.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "proto/tier_names.h"
#include "server/store/records.h"
#include "verifier/appraisal/appraisal.h"

namespace bootgate::service {

google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);
google::protobuf::Duration ToDurationProto(absl::Duration d);

v1::Tier TierToProto(appraisal::Tier tier);
// "affirming" -> TIER_AFFIRMING, ...; TIER_UNSPECIFIED for anything else.

v1::Finding FindingToProto(const appraisal::Finding& finding);

// What a stored record keeps in findings_json.
struct VerdictDetails {
  std::vector<v1::Finding> findings;
  std::string policy_version;
  std::vector<std::string> exceptions_used;
  std::vector<uint8_t> qualifying_data;
  // A re-appraisal's original attestation id (Verdict.reappraisal_of); written only when set.
  std::string reappraisal_of;
};

std::string DetailsToJson(const VerdictDetails& details);
// InvalidArgument (DataLoss would blame the store for our own format) when it does not parse.
absl::StatusOr<VerdictDetails> DetailsFromJson(const std::string& json);

// The public id of an attestation is its challenge token's id (server/attestation_id.h,
// server::TokenInfo::token_id): known before the verdict is signed, so the JWT's
// "bootgate.attestation_id" claim, Verdict.attestation_id and History.Get's key are one value,
// and unique in the store because each token is accepted once.
inline constexpr size_t kAttestationIdLength = 64;

// The Verdict of a stored record; attestation_id is the record's token id.
absl::StatusOr<v1::Verdict> VerdictFromRecord(const server::store::Attestation& record);
absl::StatusOr<v1::AttestationSummary> SummaryFromRecord(const server::store::Attestation& record);

// OK for a well-formed attestation id; InvalidArgument naming the field otherwise.
absl::Status CheckAttestationId(const std::string& id, const char* field);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_CONVERT_H_
