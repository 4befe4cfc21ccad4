// Signed verdicts: an Appraisal as a JWT (compact JWS, ES256) whose claims follow IETF EAR
// (draft-ietf-rats-ear, "EAT Attestation Results") where it fits, so a verdict can be
// forwarded and checked by anyone holding the JWKS.
//
// Header: {"alg": "ES256", "typ": "JWT", "kid": <RFC 7638 thumbprint of the signing key>}.
// Claims:
//   "eat_profile": "tag:github.com,2023:veraison/ear"
//   "iat", "exp": Appraisal.issued / expires (unix seconds)
//   "ear.verifier_id": {"developer": "bootgate", "build": "bootgate <version>"}
//   "eat_nonce": base64url of the quote's qualifying data (SHA-256 of the challenge token)
//   "submods": {"<host_id>": {
//       "ear.status": "affirming" | "warning" | "contraindicated"   (Appraisal.tier)
//       "ear.trustworthiness-vector": see TrustworthinessVector
//       "ear.appraisal-policy-id": "<policy name>@<policy version>"}}
//   "bootgate.host", "bootgate.attestation_id", "bootgate.placement_eligible"
#ifndef BOOTGATE_SERVER_VERDICT_SIGNER_H_
#define BOOTGATE_SERVER_VERDICT_SIGNER_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "server/signing_keys.h"
#include "verifier/appraisal/appraisal.h"

namespace bootgate::server {

inline constexpr absl::string_view kEarProfile = "tag:github.com,2023:veraison/ear";

// What the verdict is about, beyond the Appraisal itself.
struct VerdictSubject {
  std::string host_id;
  std::string attestation_id;
  std::vector<uint8_t> nonce;  // the qualifying data the quote carried
};

// The AR4SI trustworthiness vector (draft-ietf-rats-ar4si) of a verdict, derived from its
// findings, by layer:
//   "instance-identity"  layer evidence (quote signature by the registered AK, nonce, PCR
//                        digest, replay): 2 trustworthy; 96 untrustworthy when any evidence
//                        finding is unwaived and contraindicated.
//   "executables"        layers boot-loader, kernel (images and command line) and event-log:
//                        3 approved boot; 32 unsafe (only warnings, or waived findings);
//                        96 contraindicated.
//   "configuration"      layer secure-boot: 2 approved; 32 unsafe; 96 unsupportable.
//   "hardware"           layer firmware: 2 genuine; 32 unsafe; 96 contraindicated.
// When the evidence itself is rejected nothing about the boot is proven, so only
// "instance-identity" (96) is claimed. Policy-layer findings (no group, empty baseline) set
// no claim: they are about the policy, not the host; they still decide "ear.status".
nlohmann::json TrustworthinessVector(const appraisal::Appraisal& appraisal);

// The JWT claims set above. `build` goes into ear.verifier_id (default: this version).
nlohmann::json VerdictClaims(const appraisal::Appraisal& appraisal, const VerdictSubject& subject,
                             absl::string_view build = "");

// Returns the compact JWS of `claims` signed with `key` (ES256; the signature is JWS's raw
// 64-byte r || s, not DER). FailedPrecondition for a key without its private part;
// Internal when OpenSSL fails.
absl::StatusOr<std::string> SignJwt(const SigningKey& key, const nlohmann::json& claims);

// VerdictClaims + SignJwt with the set's active key.
absl::StatusOr<std::string> SignVerdict(const KeySet& keys, const appraisal::Appraisal& appraisal,
                                        const VerdictSubject& subject);

// Verifies a compact JWS made by SignJwt with any key of `keys` (selected by "kid") and returns
// its claims. It does not check "exp": callers decide what an old verdict means.
// InvalidArgument for a malformed token, alg other than ES256, or claims that are not a JSON
// object; NotFound for an unknown kid; Unauthenticated for a signature that does not verify.
absl::StatusOr<nlohmann::json> VerifyJwt(const KeySet& keys, absl::string_view jwt);

}  // namespace bootgate::server

#endif  // BOOTGATE_SERVER_VERDICT_SIGNER_H_
