#include "cli/tpm_enrollment.h"

#include <tss2/tss2_mu.h>

#include <algorithm>

#include "absl/strings/str_format.h"
#include "verifier/bytes/reader.h"
#include "verifier/enroll/tpm_public.h"

namespace bootgate::cli {
namespace {

// What a TPM without the TPM2_PT_NV_BUFFER_MAX property is assumed to take per TPM2_NV_Read.
constexpr uint16_t kFallbackNvChunk = 512;

absl::StatusOr<std::vector<uint8_t>> MarshalPublic(const TPM2B_PUBLIC& pub) {
  std::vector<uint8_t> out(sizeof(TPM2B_PUBLIC));
  size_t offset = 0;
  const TSS2_RC rc = Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, out.data(), out.size(), &offset);
  if (rc != TSS2_RC_SUCCESS) return TssError("marshal TPM2B_PUBLIC", rc);
  out.resize(offset);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> NameOf(ESYS_CONTEXT* esys, ESYS_TR handle) {
  TPM2B_NAME* name = nullptr;
  const TSS2_RC rc = Esys_TR_GetName(esys, handle, &name);
  EsysPtr<TPM2B_NAME> owner(name);
  if (rc != TSS2_RC_SUCCESS) return TssError("Esys_TR_GetName", rc);
  return std::vector<uint8_t>(name->name, name->name + name->size);
}

// A key from its handle and public area.
absl::StatusOr<TpmKey> MakeKey(ESYS_CONTEXT* esys, EsysHandle handle, const TPM2B_PUBLIC& pub) {
  TpmKey key;
  absl::StatusOr<std::vector<uint8_t>> public_area = MarshalPublic(pub);
  if (!public_area.ok()) return public_area.status();
  absl::StatusOr<std::vector<uint8_t>> name = NameOf(esys, handle.get());
  if (!name.ok()) return name.status();
  key.handle = std::move(handle);
  key.public_area = std::move(*public_area);
  key.name = std::move(*name);
  return key;
}

// A policy session that satisfies the EK's authPolicy: TPM2_PolicySecret(TPM_RH_ENDORSEMENT)
// (empty endorsement auth). A policy session authorizes one command: start one per use.
absl::StatusOr<EsysHandle> StartEkPolicySession(ESYS_CONTEXT* esys) {
  TPMT_SYM_DEF symmetric = {};
  symmetric.algorithm = TPM2_ALG_NULL;
  ESYS_TR session = ESYS_TR_NONE;
  TSS2_RC rc = Esys_StartAuthSession(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                     ESYS_TR_NONE, nullptr, TPM2_SE_POLICY, &symmetric,
                                     TPM2_ALG_SHA256, &session);
  if (rc != TSS2_RC_SUCCESS) return TssError("TPM2_StartAuthSession (policy)", rc);
  EsysHandle owner(esys, session, EsysHandle::Release::kFlush);
  // Keep the session after the command: the owner flushes it, on success and on failure alike.
  rc = Esys_TRSess_SetAttributes(esys, session, TPMA_SESSION_CONTINUESESSION,
                                 TPMA_SESSION_CONTINUESESSION);
  if (rc != TSS2_RC_SUCCESS) return TssError("Esys_TRSess_SetAttributes", rc);
  const TPM2B_NONCE nonce_tpm = {};
  const TPM2B_DIGEST cp_hash = {};
  const TPM2B_NONCE policy_ref = {};
  TPM2B_TIMEOUT* timeout = nullptr;
  TPMT_TK_AUTH* ticket = nullptr;
  rc = Esys_PolicySecret(esys, ESYS_TR_RH_ENDORSEMENT, session, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                         ESYS_TR_NONE, &nonce_tpm, &cp_hash, &policy_ref, 0, &timeout, &ticket);
  EsysPtr<TPM2B_TIMEOUT> timeout_owner(timeout);
  EsysPtr<TPMT_TK_AUTH> ticket_owner(ticket);
  if (rc != TSS2_RC_SUCCESS) return TssError("TPM2_PolicySecret(TPM_RH_ENDORSEMENT)", rc);
  return owner;
}

// The most a TPM2_NV_Read may ask for on this TPM.
uint16_t NvChunkSize(ESYS_CONTEXT* esys) {
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* data = nullptr;
  const TSS2_RC rc =
      Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
                         TPM2_PT_NV_BUFFER_MAX, 1, &more, &data);
  EsysPtr<TPMS_CAPABILITY_DATA> owner(data);
  if (rc != TSS2_RC_SUCCESS || data->data.tpmProperties.count == 0 ||
      data->data.tpmProperties.tpmProperty[0].property != TPM2_PT_NV_BUFFER_MAX ||
      data->data.tpmProperties.tpmProperty[0].value == 0) {
    return kFallbackNvChunk;
  }
  return static_cast<uint16_t>(
      std::min<uint32_t>(data->data.tpmProperties.tpmProperty[0].value, TPM2_MAX_NV_BUFFER_SIZE));
}

}  // namespace

uint32_t EkCertificateNvIndex(EkType type) {
  return type == EkType::kEccP256 ? kEccEkCertificateNvIndex : kRsaEkCertificateNvIndex;
}

const char* EkTypeName(EkType type) { return type == EkType::kEccP256 ? "ECC P-256" : "RSA 2048"; }

TPM2B_PUBLIC RsaEkTemplate() {
  TPM2B_PUBLIC pub = {};
  pub.publicArea = enroll::RsaEkTemplate();
  return pub;
}

TPM2B_PUBLIC EccEkTemplate() {
  TPM2B_PUBLIC pub = {};
  pub.publicArea = enroll::EccEkTemplate();
  return pub;
}

TPM2B_PUBLIC RsaAkTemplate() {
  TPM2B_PUBLIC pub = {};
  TPMT_PUBLIC& t = pub.publicArea;
  t.type = TPM2_ALG_RSA;
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                       TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                       TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
  t.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
  t.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
  t.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
  t.parameters.rsaDetail.keyBits = 2048;
  t.parameters.rsaDetail.exponent = 0;
  return pub;
}

absl::StatusOr<CredentialChallenge> ParseCredentialChallenge(
    std::span<const uint8_t> credential_blob, std::span<const uint8_t> encrypted_secret) {
  CredentialChallenge c = {};
  // tss2-mu checks each size prefix against the structure's buffer and the input's length;
  // what remains is that the field holds exactly one structure.
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(credential_blob.data(), credential_blob.size(),
                                                 &offset, &c.credential_blob);
  if (rc != TSS2_RC_SUCCESS || offset != credential_blob.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("the server's credential_blob (%u bytes) is not one TPM2B_ID_OBJECT",
                        credential_blob.size()));
  }
  offset = 0;
  rc = Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(encrypted_secret.data(), encrypted_secret.size(),
                                                &offset, &c.encrypted_secret);
  if (rc != TSS2_RC_SUCCESS || offset != encrypted_secret.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the server's encrypted_secret (%u bytes) is not one TPM2B_ENCRYPTED_SECRET",
        encrypted_secret.size()));
  }
  return c;
}

size_t DerLength(std::span<const uint8_t> data) {
  bytes::Reader r(data);
  absl::StatusOr<uint8_t> tag = r.U8("DER tag");
  absl::StatusOr<uint8_t> first = r.U8("DER length");
  if (!tag.ok() || !first.ok() || *tag != 0x30) return data.size();
  size_t length = 0;
  if (*first < 0x80) {
    length = *first;
  } else if (*first == 0x81) {
    absl::StatusOr<uint8_t> n = r.U8("DER length");
    if (!n.ok()) return data.size();
    length = *n;
  } else if (*first == 0x82) {
    absl::StatusOr<uint16_t> n = r.U16Be("DER length");
    if (!n.ok()) return data.size();
    length = *n;
  } else {
    return data.size();  // longer than any EK certificate an NV index holds
  }
  const size_t total = r.offset() + length;
  return total < data.size() ? total : data.size();
}

absl::StatusOr<std::vector<uint8_t>> ReadEkCertificate(ESYS_CONTEXT* esys, uint32_t nv_index) {
  ESYS_TR nv = ESYS_TR_NONE;
  TSS2_RC rc = Esys_TR_FromTPMPublic(esys, nv_index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
  if (IsHandleMissing(rc)) {
    return absl::FailedPreconditionError(
        absl::StrFormat("no EK certificate in NV 0x%08x: pass --ek-cert FILE", nv_index));
  }
  if (rc != TSS2_RC_SUCCESS) return TssError(absl::StrFormat("NV 0x%08x", nv_index), rc);
  EsysHandle nv_owner(esys, nv, EsysHandle::Release::kClose);

  TPM2B_NV_PUBLIC* nv_public = nullptr;
  TPM2B_NAME* nv_name = nullptr;
  rc = Esys_NV_ReadPublic(esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv_public, &nv_name);
  EsysPtr<TPM2B_NV_PUBLIC> public_owner(nv_public);
  EsysPtr<TPM2B_NAME> name_owner(nv_name);
  if (rc != TSS2_RC_SUCCESS)
    return TssError(absl::StrFormat("TPM2_NV_ReadPublic 0x%08x", nv_index), rc);
  const uint16_t size = nv_public->nvPublic.dataSize;
  if (size == 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "NV 0x%08x is empty, no EK certificate there: pass --ek-cert FILE", nv_index));
  }
  // The index's own (empty) auth where it allows that, else the owner's (empty) auth.
  const TPMA_NV attributes = nv_public->nvPublic.attributes;
  ESYS_TR auth = ESYS_TR_RH_OWNER;
  if (attributes & TPMA_NV_AUTHREAD) {
    auth = nv;
  } else if (!(attributes & TPMA_NV_OWNERREAD)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "NV 0x%08x is readable neither with its own auth nor the owner's: pass --ek-cert FILE",
        nv_index));
  }

  const uint16_t chunk = NvChunkSize(esys);
  std::vector<uint8_t> certificate;
  certificate.reserve(size);
  while (certificate.size() < size) {
    const uint16_t offset = static_cast<uint16_t>(certificate.size());
    const uint16_t want = std::min<uint16_t>(chunk, size - offset);
    TPM2B_MAX_NV_BUFFER* data = nullptr;
    rc = Esys_NV_Read(esys, auth, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, want, offset,
                      &data);
    EsysPtr<TPM2B_MAX_NV_BUFFER> data_owner(data);
    if (rc != TSS2_RC_SUCCESS) {
      return TssError(
          absl::StrFormat("TPM2_NV_Read 0x%08x (%u bytes at offset %u)", nv_index, want, offset),
          rc);
    }
    if (data->size != want) {
      return absl::InternalError(
          absl::StrFormat("TPM2_NV_Read 0x%08x returned %u bytes at offset %u, asked for %u",
                          nv_index, data->size, offset, want));
    }
    certificate.insert(certificate.end(), data->buffer, data->buffer + data->size);
  }
  certificate.resize(DerLength(certificate));
  return certificate;
}

absl::StatusOr<TpmKey> CreateEk(ESYS_CONTEXT* esys, EkType type) {
  const TPM2B_SENSITIVE_CREATE sensitive = {};
  const TPM2B_PUBLIC in_public = type == EkType::kEccP256 ? EccEkTemplate() : RsaEkTemplate();
  const TPM2B_DATA outside_info = {};
  const TPML_PCR_SELECTION creation_pcr = {};
  ESYS_TR ek = ESYS_TR_NONE;
  TPM2B_PUBLIC* out_public = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* creation_ticket = nullptr;
  const TSS2_RC rc =
      Esys_CreatePrimary(esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                         &sensitive, &in_public, &outside_info, &creation_pcr, &ek, &out_public,
                         &creation_data, &creation_hash, &creation_ticket);
  EsysPtr<TPM2B_PUBLIC> public_owner(out_public);
  EsysPtr<TPM2B_CREATION_DATA> data_owner(creation_data);
  EsysPtr<TPM2B_DIGEST> hash_owner(creation_hash);
  EsysPtr<TPMT_TK_CREATION> ticket_owner(creation_ticket);
  if (rc != TSS2_RC_SUCCESS) return TssError("TPM2_CreatePrimary (EK, endorsement hierarchy)", rc);
  return MakeKey(esys, EsysHandle(esys, ek, EsysHandle::Release::kFlush), *out_public);
}

absl::StatusOr<std::optional<TpmKey>> ReadPersistentKey(ESYS_CONTEXT* esys, uint32_t handle) {
  ESYS_TR object = ESYS_TR_NONE;
  TSS2_RC rc =
      Esys_TR_FromTPMPublic(esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &object);
  if (IsHandleMissing(rc)) return std::nullopt;
  if (rc != TSS2_RC_SUCCESS) return TssError(absl::StrFormat("handle 0x%08x", handle), rc);
  EsysHandle owner(esys, object, EsysHandle::Release::kClose);
  TPM2B_PUBLIC* out_public = nullptr;
  TPM2B_NAME* name = nullptr;
  TPM2B_NAME* qualified_name = nullptr;
  rc = Esys_ReadPublic(esys, object, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &out_public, &name,
                       &qualified_name);
  EsysPtr<TPM2B_PUBLIC> public_owner(out_public);
  EsysPtr<TPM2B_NAME> name_owner(name);
  EsysPtr<TPM2B_NAME> qualified_owner(qualified_name);
  if (rc != TSS2_RC_SUCCESS) return TssError(absl::StrFormat("TPM2_ReadPublic 0x%08x", handle), rc);
  absl::StatusOr<TpmKey> key = MakeKey(esys, std::move(owner), *out_public);
  if (!key.ok()) return key.status();
  return std::optional<TpmKey>(std::move(*key));
}

absl::StatusOr<TpmKey> CreatePersistentAk(ESYS_CONTEXT* esys, const TpmKey& ek, uint32_t handle) {
  const TPM2B_SENSITIVE_CREATE sensitive = {};
  const TPM2B_PUBLIC in_public = RsaAkTemplate();
  const TPM2B_DATA outside_info = {};
  const TPML_PCR_SELECTION creation_pcr = {};
  TPM2B_PRIVATE* out_private = nullptr;
  TPM2B_PUBLIC* out_public = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* creation_ticket = nullptr;
  {
    absl::StatusOr<EsysHandle> session = StartEkPolicySession(esys);
    if (!session.ok()) return session.status();
    const TSS2_RC rc =
        Esys_Create(esys, ek.handle.get(), session->get(), ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                    &in_public, &outside_info, &creation_pcr, &out_private, &out_public,
                    &creation_data, &creation_hash, &creation_ticket);
    EsysPtr<TPM2B_CREATION_DATA> data_owner(creation_data);
    EsysPtr<TPM2B_DIGEST> hash_owner(creation_hash);
    EsysPtr<TPMT_TK_CREATION> ticket_owner(creation_ticket);
    if (rc != TSS2_RC_SUCCESS) {
      Esys_Free(out_private);
      Esys_Free(out_public);
      return TssError("TPM2_Create (AK under the EK)", rc);
    }
  }
  EsysPtr<TPM2B_PRIVATE> private_owner(out_private);
  EsysPtr<TPM2B_PUBLIC> public_owner(out_public);

  EsysHandle transient;
  {
    absl::StatusOr<EsysHandle> session = StartEkPolicySession(esys);
    if (!session.ok()) return session.status();
    ESYS_TR loaded = ESYS_TR_NONE;
    const TSS2_RC rc = Esys_Load(esys, ek.handle.get(), session->get(), ESYS_TR_NONE, ESYS_TR_NONE,
                                 out_private, out_public, &loaded);
    if (rc != TSS2_RC_SUCCESS) return TssError("TPM2_Load (AK)", rc);
    transient = EsysHandle(esys, loaded, EsysHandle::Release::kFlush);
  }
  ESYS_TR persistent = ESYS_TR_NONE;
  const TSS2_RC rc = Esys_EvictControl(esys, ESYS_TR_RH_OWNER, transient.get(), ESYS_TR_PASSWORD,
                                       ESYS_TR_NONE, ESYS_TR_NONE, handle, &persistent);
  if (rc != TSS2_RC_SUCCESS)
    return TssError(absl::StrFormat("TPM2_EvictControl (AK to 0x%08x)", handle), rc);
  return MakeKey(esys, EsysHandle(esys, persistent, EsysHandle::Release::kClose), *out_public);
}

absl::Status EvictPersistentKey(ESYS_CONTEXT* esys, TpmKey& key, uint32_t handle) {
  ESYS_TR gone = ESYS_TR_NONE;
  const TSS2_RC rc = Esys_EvictControl(esys, ESYS_TR_RH_OWNER, key.handle.get(), ESYS_TR_PASSWORD,
                                       ESYS_TR_NONE, ESYS_TR_NONE, handle, &gone);
  if (rc != TSS2_RC_SUCCESS) {
    return TssError(absl::StrFormat("TPM2_EvictControl (evict 0x%08x)", handle), rc);
  }
  // ESAPI closes the evicted object's ESYS_TR itself.
  key.handle.Forget();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> ActivateCredential(ESYS_CONTEXT* esys, const TpmKey& ak,
                                                        const TpmKey& ek,
                                                        const CredentialChallenge& challenge) {
  absl::StatusOr<EsysHandle> session = StartEkPolicySession(esys);
  if (!session.ok()) return session.status();
  TPM2B_DIGEST* cert_info = nullptr;
  const TSS2_RC rc = Esys_ActivateCredential(
      esys, ak.handle.get(), ek.handle.get(), ESYS_TR_PASSWORD, session->get(), ESYS_TR_NONE,
      &challenge.credential_blob, &challenge.encrypted_secret, &cert_info);
  EsysPtr<TPM2B_DIGEST> owner(cert_info);
  if (rc != TSS2_RC_SUCCESS) return TssError("TPM2_ActivateCredential", rc);
  return std::vector<uint8_t>(cert_info->buffer, cert_info->buffer + cert_info->size);
}

}  // namespace bootgate::cli
