#include "verifier/tpm/quote_error.h"

#include "absl/strings/cord.h"

namespace bootgate::tpm {
namespace {

constexpr absl::string_view kPayloadUrl = "type.bootgate.dev/bootgate.tpm.QuoteRejection";

struct Named {
  QuoteRejection rejection;
  absl::string_view name;
};

constexpr Named kNames[] = {
    {QuoteRejection::kBadMagic, "bad-magic"},
    {QuoteRejection::kNotAQuote, "not-a-quote"},
    {QuoteRejection::kUnsupportedScheme, "unsupported-scheme"},
    {QuoteRejection::kKeySchemeMismatch, "key-scheme-mismatch"},
    {QuoteRejection::kBadSignature, "bad-signature"},
    {QuoteRejection::kNonceMismatch, "nonce-mismatch"},
    {QuoteRejection::kPcrSelectionMissing, "pcr-selection-missing"},
    {QuoteRejection::kPcrValuesMissing, "pcr-values-missing"},
    {QuoteRejection::kPcrDigestMismatch, "pcr-digest-mismatch"},
};

}  // namespace

absl::string_view QuoteRejectionName(QuoteRejection rejection) {
  for (const Named& n : kNames) {
    if (n.rejection == rejection) return n.name;
  }
  return "unknown";
}

absl::Status QuoteRejected(QuoteRejection rejection, absl::string_view message) {
  absl::Status status = absl::PermissionDeniedError(message);
  status.SetPayload(kPayloadUrl, absl::Cord(QuoteRejectionName(rejection)));
  return status;
}

std::optional<QuoteRejection> GetQuoteRejection(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kPermissionDenied) return std::nullopt;
  const auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  for (const Named& n : kNames) {
    if (*payload == n.name) return n.rejection;
  }
  return std::nullopt;
}

}  // namespace bootgate::tpm
