// Small assertions shared by the verifier/tpm tests.
#ifndef BOOTGATE_TESTS_UNIT_TPM_TEST_UTIL_H_
#define BOOTGATE_TESTS_UNIT_TPM_TEST_UTIL_H_

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "verifier/tpm/quote_error.h"

namespace bootgate::tpm::testing {

inline std::string RejectionName(const absl::Status& status) {
  const std::optional<QuoteRejection> r = GetQuoteRejection(status);
  return r.has_value() ? std::string(QuoteRejectionName(*r)) : "(none: " + status.ToString() + ")";
}

inline bool Contains(const absl::Status& status, const std::string& text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

}  // namespace bootgate::tpm::testing

#endif  // BOOTGATE_TESTS_UNIT_TPM_TEST_UTIL_H_
