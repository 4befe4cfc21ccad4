// The agent's side of enrollment (proto/bootgate/v1/enrollment.proto) on tpm2-tss ESAPI: the
// EK from the TCG default RSA 2048 template, its certificate from NV, the AK (the one persisted
// at a handle, or one created under the EK like `tpm2_createak -C ek -G rsa -g sha256 -s rsassa`
// and persisted there), and TPM2_ActivateCredential of the server's credential.
// Every transient object and session is owned by an EsysHandle and flushed on every path.
#ifndef BOOTGATE_CLI_TPM_ENROLLMENT_H_
#define BOOTGATE_CLI_TPM_ENROLLMENT_H_

#include <tss2/tss2_esys.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/esys_support.h"

namespace bootgate::cli {

// The two default EKs of the TCG EK Credential Profile (templates L-1 and L-2).
enum class EkType { kRsa2048, kEccP256 };

// Where the TCG EK Credential Profile puts each EK's certificate.
inline constexpr uint32_t kRsaEkCertificateNvIndex = 0x01c00002;
inline constexpr uint32_t kEccEkCertificateNvIndex = 0x01c0000a;
uint32_t EkCertificateNvIndex(EkType type);
// "RSA 2048", "ECC P-256": for messages.
const char* EkTypeName(EkType type);

// A key in the TPM (transient or persistent) and its public area as the TPM returned it.
struct TpmKey {
  EsysHandle handle;
  std::vector<uint8_t> public_area;  // marshaled TPM2B_PUBLIC, size prefix included
  std::vector<uint8_t> name;         // the TPM Name: nameAlg || H_nameAlg(TPMT_PUBLIC)
};

// The EK Credential Profile's default RSA 2048 EK template (L-1): SHA-256 nameAlg,
// fixedTPM|fixedParent|sensitiveDataOrigin|adminWithPolicy|restricted|decrypt, the
// PolicySecret(TPM_RH_ENDORSEMENT) authPolicy, AES-128-CFB, RSA 2048, exponent 0, unique =
// 256 zero bytes: the key swtpm_setup and manufacturers certify, `tpm2_createek -G rsa`.
TPM2B_PUBLIC RsaEkTemplate();
// The default ECC P-256 EK template (L-2, enroll::EccEkTemplate): `tpm2_createek -G ecc`.
TPM2B_PUBLIC EccEkTemplate();

// The AK template of `tpm2_createak -G rsa -g sha256 -s rsassa`: RSA 2048 restricted signing
// key (fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign), SHA-256 nameAlg,
// RSASSA-SHA256.
TPM2B_PUBLIC RsaAkTemplate();

// The two inputs of TPM2_ActivateCredential, as Enrollment.Start sends them.
struct CredentialChallenge {
  TPM2B_ID_OBJECT credential_blob;
  TPM2B_ENCRYPTED_SECRET encrypted_secret;
};

// Unmarshals Start's credential_blob (TPM2B_ID_OBJECT) and encrypted_secret
// (TPM2B_ENCRYPTED_SECRET) with tss2-mu. Each must be exactly one structure whose size prefix
// fits it and the bytes given; InvalidArgument naming the field otherwise.
absl::StatusOr<CredentialChallenge> ParseCredentialChallenge(
    std::span<const uint8_t> credential_blob, std::span<const uint8_t> encrypted_secret);

// A DER certificate read from NV may be followed by padding up to the index's size: returns
// the length of the leading DER SEQUENCE when its header says it is shorter than `data`, else
// data.size() (anything else is left for the server to judge).
size_t DerLength(std::span<const uint8_t> data);

// Reads the EK certificate from NV `nv_index` (TPM2_NV_ReadPublic, then TPM2_NV_Read in chunks
// of at most the TPM's TPM2_PT_NV_BUFFER_MAX). FailedPrecondition when the index is not
// defined ("no EK certificate in NV 0x01c00002: pass --ek-cert FILE"); Internal for TPM errors.
absl::StatusOr<std::vector<uint8_t>> ReadEkCertificate(
    ESYS_CONTEXT* esys, uint32_t nv_index = kRsaEkCertificateNvIndex);

// TPM2_CreatePrimary of the `type` EK's template in the endorsement hierarchy (empty
// endorsement auth). The EK stays loaded until the returned key goes away.
absl::StatusOr<TpmKey> CreateEk(ESYS_CONTEXT* esys, EkType type = EkType::kRsa2048);

// The object persisted at `handle` (TPM2_ReadPublic), as it is; nullopt when the handle is
// empty.
absl::StatusOr<std::optional<TpmKey>> ReadPersistentKey(ESYS_CONTEXT* esys, uint32_t handle);

// Creates an AK from RsaAkTemplate() under `ek` (policy sessions with
// TPM2_PolicySecret(TPM_RH_ENDORSEMENT)), loads it and persists it at `handle` with
// TPM2_EvictControl (empty owner auth). The transient copy is flushed; the result refers to the
// persistent object.
absl::StatusOr<TpmKey> CreatePersistentAk(ESYS_CONTEXT* esys, const TpmKey& ek, uint32_t handle);

// Removes the persistent `key` from `handle` (TPM2_EvictControl, empty owner auth); `key` is
// then empty. Internal for TPM errors.
absl::Status EvictPersistentKey(ESYS_CONTEXT* esys, TpmKey& key, uint32_t handle);

// TPM2_ActivateCredential: the AK (password session, empty auth) is the key the credential
// names, the EK (policy session, PolicySecret(endorsement)) decrypts it. Returns the secret.
// Internal with the TPM's response code when the credential was not made for this AK and EK.
absl::StatusOr<std::vector<uint8_t>> ActivateCredential(ESYS_CONTEXT* esys, const TpmKey& ak,
                                                        const TpmKey& ek,
                                                        const CredentialChallenge& challenge);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_TPM_ENROLLMENT_H_
