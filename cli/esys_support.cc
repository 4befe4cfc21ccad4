#include "cli/esys_support.h"

#include <tss2/tss2_rc.h>

#include <utility>

#include "absl/strings/str_format.h"

namespace bootgate::cli {

absl::Status TssError(absl::string_view what, TSS2_RC rc) {
  return absl::InternalError(absl::StrFormat("%s: %s (0x%08x)", what, Tss2_RC_Decode(rc), rc));
}

bool IsHandleMissing(TSS2_RC rc) {
  // A format-one TPM response code: the error in the low 6 bits, the handle/parameter number
  // above them; the TSS layer bits must be zero (the TPM itself answered).
  return (rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER &&
         (rc & (TPM2_RC_FMT1 | 0x3f)) == TPM2_RC_HANDLE;
}

EsysHandle& EsysHandle::operator=(EsysHandle&& other) noexcept {
  if (this != &other) {
    Reset();
    esys_ = other.esys_;
    handle_ = std::exchange(other.handle_, ESYS_TR_NONE);
    release_ = other.release_;
  }
  return *this;
}

void EsysHandle::Reset() {
  if (handle_ == ESYS_TR_NONE || esys_ == nullptr) return;
  if (release_ == Release::kFlush) {
    // Nothing useful to do when the flush fails (the TPM went away): the handle is gone from
    // this process either way.
    if (Esys_FlushContext(esys_, handle_) != TSS2_RC_SUCCESS) Esys_TR_Close(esys_, &handle_);
  } else {
    Esys_TR_Close(esys_, &handle_);
  }
  handle_ = ESYS_TR_NONE;
}

}  // namespace bootgate::cli
