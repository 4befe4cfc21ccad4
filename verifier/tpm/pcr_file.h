// The PCR values file of tpm2-tools 5.x (`tpm2_quote -o FILE`, `tpm2_pcrread -o FILE`, default
// "serialized" format). tpm2-tools writes its C structs raw, in host byte order (little-endian
// on every platform bootgate runs on), with the compiler's padding:
//   TPML_PCR_SELECTION  (132 bytes): u32 count; 16 x { u16 hash; u8 sizeofSelect;
//                                    u8 pcrSelect[4]; u8 pad }
//   u32 n                           number of TPML_DIGEST structs that follow
//   n x TPML_DIGEST     (532 bytes): u32 count; 8 x { u16 size; u8 buffer[64] }
// The digests are the selected PCR values, banks in selection order, PCRs ascending, filled
// into the TPML_DIGESTs in order (each holds up to 8, as one TPM2_PCR_Read returns them).
#ifndef BOOTGATE_VERIFIER_TPM_PCR_FILE_H_
#define BOOTGATE_VERIFIER_TPM_PCR_FILE_H_

#include <span>

#include "absl/status/statusor.h"
#include "verifier/crypto/pcr_values.h"
#include "verifier/tpm/quote.h"

namespace bootgate::tpm {

struct PcrFile {
  PcrSelection selection;
  crypto::PcrValues values;
};

// Parses a tpm2-tools serialized PCR file. InvalidArgument (with the byte offset) when it is
// truncated, has trailing bytes, counts beyond the struct capacities, an unknown bank, a
// digest whose size is not its bank's, or fewer/more digests than PCRs selected.
absl::StatusOr<PcrFile> ParseTpm2ToolsPcrFile(std::span<const uint8_t> data);

}  // namespace bootgate::tpm

#endif  // BOOTGATE_VERIFIER_TPM_PCR_FILE_H_
