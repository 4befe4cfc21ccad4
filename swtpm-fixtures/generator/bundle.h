// The evidence bundle files (docs: DESIGN.md "Evidence bundle"), in tpm2-tools' own formats.
#ifndef BOOTGATE_SWTPM_FIXTURES_GENERATOR_BUNDLE_H_
#define BOOTGATE_SWTPM_FIXTURES_GENERATOR_BUNDLE_H_

#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "absl/status/statusor.h"
#include "swtpm-fixtures/generator/byte_sink.h"
#include "swtpm-fixtures/generator/tpm_client.h"

namespace bootgate::fixtures {

// Returns the AK public key as a PEM SubjectPublicKeyInfo (RSA or ECC P-256).
// InvalidArgument for another key type.
absl::StatusOr<std::string> PublicKeyPem(const TPMT_PUBLIC& pub);

// Returns TPM2B_PUBLIC marshaled (tpm2_create -u).
absl::StatusOr<Bytes> MarshalPublic(const TPM2B_PUBLIC& pub);

// Returns the PCR file tpm2_quote -o writes in tpm2-tools 5.4 ("serialized": the
// TPML_PCR_SELECTION and TPML_DIGEST structures in host layout, little-endian, preceded by the
// count of TPML_DIGESTs as UINT32).
Bytes SerializedPcrs(const TPML_PCR_SELECTION& selection, const PcrReadResult& pcrs);

// Writes `data` to `path` (replacing it). Internal error naming the path on failure.
absl::Status WriteFile(const std::string& path, std::span<const uint8_t> data);
absl::Status WriteFile(const std::string& path, std::string_view text);

}  // namespace bootgate::fixtures

#endif  // BOOTGATE_SWTPM_FIXTURES_GENERATOR_BUNDLE_H_
