// The host agent's TPM side, on tpm2-tss ESAPI: open a TCTI ("device:/dev/tpmrm0",
// "swtpm:host=127.0.0.1,port=N", "tabrmd", ...), quote a PCR selection with a persisted AK.
// Enrollment (EK, AK creation, credential activation) lives in cli/tpm_enrollment.h.
// A raw swtpm or /dev/tpm0 has no resource manager: the agent creates no transient objects and
// closes every handle it opened, so repeated runs never fill the TPM's object slots.
#ifndef BOOTGATE_CLI_TPM_AGENT_H_
#define BOOTGATE_CLI_TPM_AGENT_H_

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bootgate::cli {

// The usual persistent handle of an AK made by tpm2_createak + tpm2_evictcontrol.
inline constexpr uint32_t kDefaultAkHandle = 0x81010002;

// Parses a PCR selection in tpm2-tools' syntax: "sha256:0-9", "sha1:0,1,2+sha256:0-7".
// InvalidArgument (naming the part) for an unknown bank, a PCR above 23, a bad range or an
// empty selection.
absl::StatusOr<TPML_PCR_SELECTION> ParsePcrSelection(absl::string_view spec);

// The default selection of `bootgate attest`: kBootChainPcrs (cli/pcr_defaults.h: 0-9 and 14)
// in every bank `allocated` (TPM2_GetCapability TPM_CAP_PCRS) has and bootgate knows, each PCR
// only where the bank allocates it. FailedPrecondition when no such bank is allocated.
absl::StatusOr<TPML_PCR_SELECTION> DefaultPcrSelection(const TPML_PCR_SELECTION& allocated);

// "sha1:0-9,14+sha256:0-9,14": a selection as --pcrs spells it.
std::string FormatTpmlPcrSelection(const TPML_PCR_SELECTION& selection);

// The TCTI to open: `flag` (--tcti), else $BOOTGATE_TCTI, else $TPM2TOOLS_TCTI (what tpm2-tools
// use on this host), else the kernel's resource manager "device:/dev/tpmrm0".
std::string ResolveTcti(const std::string& flag);

// Parses "0x81010002" (or decimal); InvalidArgument unless it is a persistent handle
// (0x81000000-0x81ffffff).
absl::StatusOr<uint32_t> ParsePersistentHandle(absl::string_view text);

struct TpmQuote {
  std::vector<uint8_t> attest;     // TPMS_ATTEST as the TPM marshaled it (tpm2_quote -m)
  std::vector<uint8_t> signature;  // TPMT_SIGNATURE, marshaled (tpm2_quote -s)
};

class TpmAgent {
 public:
  // Opens the TCTI. Unavailable (with the TCTI string) when it cannot be opened or the TPM
  // does not answer.
  static absl::StatusOr<std::unique_ptr<TpmAgent>> Open(const std::string& tcti);
  ~TpmAgent();
  TpmAgent(const TpmAgent&) = delete;
  TpmAgent& operator=(const TpmAgent&) = delete;

  // TPM2_Quote of `selection` by the persistent AK at `ak_handle` (empty auth, the key's own
  // signing scheme) over `qualifying_data` (at most 64 bytes). FailedPrecondition when no
  // object is persisted at the handle; Internal with the decoded TPM response code otherwise.
  absl::StatusOr<TpmQuote> Quote(uint32_t ak_handle, std::span<const uint8_t> qualifying_data,
                                 const TPML_PCR_SELECTION& selection);

  // The PCR banks the TPM has allocated (TPM2_GetCapability TPM_CAP_PCRS). Internal with the
  // decoded TPM response code on failure.
  absl::StatusOr<TPML_PCR_SELECTION> AllocatedPcrs();

  // The ESAPI context, for the enrollment steps (cli/tpm_enrollment.h). Valid while this
  // agent lives: objects made with it must go away first.
  ESYS_CONTEXT* esys() const { return esys_; }

 private:
  TpmAgent(TSS2_TCTI_CONTEXT* tcti, ESYS_CONTEXT* esys) : tcti_(tcti), esys_(esys) {}

  TSS2_TCTI_CONTEXT* tcti_;
  ESYS_CONTEXT* esys_;
};

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_TPM_AGENT_H_
