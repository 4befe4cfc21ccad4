// The TPM operations a fixture boot needs, on tpm2-tss ESAPI over a TCTI string such as
// "swtpm:host=127.0.0.1,port=N". A raw swtpm has no resource manager, so every transient
// object and session this client makes is flushed when the client is destroyed.
#ifndef BOOTGATE_SWTPM_FIXTURES_GENERATOR_TPM_CLIENT_H_
#define BOOTGATE_SWTPM_FIXTURES_GENERATOR_TPM_CLIENT_H_

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "swtpm-fixtures/generator/byte_sink.h"
#include "verifier/crypto/hash.h"

namespace bootgate::fixtures {

enum class AkType { kRsa2048, kEccP256 };

struct PcrReadResult {
  // TPML_DIGESTs as TPM2_PCR_Read returned them, call by call (tpm2_quote -o writes these).
  std::vector<TPML_DIGEST> chunks;
  std::map<std::pair<crypto::HashAlg, uint32_t>, crypto::Digest> values;
};

struct QuoteResult {
  Bytes attest;     // TPMS_ATTEST as the TPM marshaled it
  Bytes signature;  // TPMT_SIGNATURE, marshaled
};

class TpmClient {
 public:
  // Connects through the TCTI loader. Unavailable if the TCTI cannot be opened.
  static absl::StatusOr<std::unique_ptr<TpmClient>> Connect(const std::string& tcti);
  ~TpmClient();
  TpmClient(const TpmClient&) = delete;
  TpmClient& operator=(const TpmClient&) = delete;

  // TPM2_Startup(CLEAR), issued at `locality` (0 unless the platform starts at 3 or 4).
  absl::Status Startup(uint8_t locality);
  // Extends `pcr` in every bank at once with TPM2_PCR_Extend (never PCR_Event, which would
  // hash the data itself). `digests` pairs with `banks`.
  absl::Status Extend(uint32_t pcr, std::span<const crypto::HashAlg> banks,
                      std::span<const crypto::Digest> digests);
  absl::StatusOr<PcrReadResult> ReadPcrs(const TPML_PCR_SELECTION& selection);
  // Reads a whole NV index with owner authorization (the EK certificate at 0x01c00002).
  absl::StatusOr<Bytes> ReadNv(TPM2_HANDLE index);
  // Creates the RSA-2048 EK from the TCG EK Credential Profile template L-1, the key the
  // swtpm EK certificate certifies.
  absl::StatusOr<std::pair<ESYS_TR, TPM2B_PUBLIC>> CreateEk();
  // Creates and loads a restricted signing AK under the EK (EK policy: PolicySecret with the
  // endorsement hierarchy). Returns the loaded handle and the AK's public area.
  absl::StatusOr<std::pair<ESYS_TR, TPM2B_PUBLIC>> CreateAk(ESYS_TR ek, AkType type);
  // Makes the loaded object `object` persistent at `persistent_handle` (TPM2_EvictControl,
  // owner hierarchy), replacing an object already persisted there, so that an agent can quote
  // with it after this client is gone. The transient copy is still flushed on destruction.
  absl::Status Persist(ESYS_TR object, TPM2_HANDLE persistent_handle);
  absl::StatusOr<QuoteResult> Quote(ESYS_TR ak, std::span<const uint8_t> nonce,
                                    const TPML_PCR_SELECTION& selection);

 private:
  TpmClient(TSS2_TCTI_CONTEXT* tcti, ESYS_CONTEXT* esys) : tcti_(tcti), esys_(esys) {}
  absl::StatusOr<ESYS_TR> EkPolicySession();
  void Flush(ESYS_TR handle);

  TSS2_TCTI_CONTEXT* tcti_;
  ESYS_CONTEXT* esys_;
  std::vector<ESYS_TR> transient_;
};

// "TPM2_Quote: tpm:parameter(1):... (0x...)" from a TSS2_RC.
absl::Status TssError(std::string_view what, TSS2_RC rc);

}  // namespace bootgate::fixtures

#endif  // BOOTGATE_SWTPM_FIXTURES_GENERATOR_TPM_CLIENT_H_
