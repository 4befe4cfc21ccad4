// Small pieces every tpm2-tss ESAPI caller in the agent needs: owners for what ESAPI allocates
// and for ESYS_TR handles (so a transient object or session is flushed on every path: a raw
// swtpm or /dev/tpm0 has no resource manager and keeps it loaded otherwise), and TPM response
// codes as absl::Status.
#ifndef BOOTGATE_CLI_ESYS_SUPPORT_H_
#define BOOTGATE_CLI_ESYS_SUPPORT_H_

#include <tss2/tss2_esys.h>

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bootgate::cli {

template <typename T>
struct EsysFree {
  void operator()(T* p) const { Esys_Free(p); }
};
// Owner of an ESAPI output parameter (freed with Esys_Free).
template <typename T>
using EsysPtr = std::unique_ptr<T, EsysFree<T>>;

// Internal "<what>: <decoded response code> (0x...)".
absl::Status TssError(absl::string_view what, TSS2_RC rc);

// True for TPM_RC_HANDLE on any handle: what TPM2_ReadPublic and TPM2_NV_ReadPublic answer
// for an empty persistent handle or an undefined NV index.
bool IsHandleMissing(TSS2_RC rc);

// Owns an ESYS_TR. kFlush: a transient object or a session, flushed from the TPM when the
// owner goes away. kClose: a reference to a persistent object or NV index, released in the
// library only (nothing is evicted from the TPM).
class EsysHandle {
 public:
  enum class Release { kFlush, kClose };

  EsysHandle() = default;
  EsysHandle(ESYS_CONTEXT* esys, ESYS_TR handle, Release release)
      : esys_(esys), handle_(handle), release_(release) {}
  ~EsysHandle() { Reset(); }
  EsysHandle(EsysHandle&& other) noexcept { *this = std::move(other); }
  EsysHandle& operator=(EsysHandle&& other) noexcept;
  EsysHandle(const EsysHandle&) = delete;
  EsysHandle& operator=(const EsysHandle&) = delete;

  ESYS_TR get() const { return handle_; }
  // Gives the handle up without flushing or closing it (ESAPI already forgot it).
  void Forget() { handle_ = ESYS_TR_NONE; }
  // Flushes or closes now.
  void Reset();

 private:
  ESYS_CONTEXT* esys_ = nullptr;
  ESYS_TR handle_ = ESYS_TR_NONE;
  Release release_ = Release::kClose;
};

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_ESYS_SUPPORT_H_
