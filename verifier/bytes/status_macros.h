// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status and absl::StatusOr.
#ifndef BOOTGATE_VERIFIER_BYTES_STATUS_MACROS_H_
#define BOOTGATE_VERIFIER_BYTES_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define BOOTGATE_CONCAT_INNER_(a, b) a##b
#define BOOTGATE_CONCAT_(a, b) BOOTGATE_CONCAT_INNER_(a, b)

// Returns from the current function with `expr`'s status if it is not OK.
#define RETURN_IF_ERROR(expr)                            \
  do {                                                   \
    ::absl::Status bootgate_status_ = (expr);            \
    if (!bootgate_status_.ok()) return bootgate_status_; \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise
// move-assigns the value to `lhs` (which may be a declaration: `auto x`).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL_(BOOTGATE_CONCAT_(bootgate_statusor_, __LINE__), lhs, rexpr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)       \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // BOOTGATE_VERIFIER_BYTES_STATUS_MACROS_H_
