#include "swtpm-fixtures/generator/tpm_client.h"

#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::fixtures {
namespace {

// Frees ESAPI outputs on every path.
template <typename T>
struct EsysFree {
  void operator()(T* p) const { Esys_Free(p); }
};
template <typename T>
using EsysPtr = std::unique_ptr<T, EsysFree<T>>;

// TCG EK Credential Profile 2.0, template L-1: PolicySecret(TPM_RH_ENDORSEMENT).
constexpr uint8_t kEkPolicy[32] = {0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC,
                                   0x8D, 0x46, 0xA5, 0xD7, 0x24, 0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52,
                                   0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA};

bool SelectionEmpty(const TPML_PCR_SELECTION& s) {
  for (uint32_t i = 0; i < s.count; ++i) {
    for (uint8_t j = 0; j < s.pcrSelections[i].sizeofSelect; ++j) {
      if (s.pcrSelections[i].pcrSelect[j] != 0) return false;
    }
  }
  return true;
}

}  // namespace

absl::Status TssError(std::string_view what, TSS2_RC rc) {
  return absl::InternalError(absl::StrFormat("%s: %s (0x%08x)", what, Tss2_RC_Decode(rc), rc));
}

absl::StatusOr<std::unique_ptr<TpmClient>> TpmClient::Connect(const std::string& tcti) {
  TSS2_TCTI_CONTEXT* tcti_ctx = nullptr;
  TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti.c_str(), &tcti_ctx);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::UnavailableError(
        absl::StrFormat("cannot open TCTI \"%s\": %s", tcti, Tss2_RC_Decode(rc)));
  }
  ESYS_CONTEXT* esys = nullptr;
  rc = Esys_Initialize(&esys, tcti_ctx, nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    Tss2_TctiLdr_Finalize(&tcti_ctx);
    return TssError("Esys_Initialize", rc);
  }
  return std::unique_ptr<TpmClient>(new TpmClient(tcti_ctx, esys));
}

TpmClient::~TpmClient() {
  for (auto it = transient_.rbegin(); it != transient_.rend(); ++it) {
    Esys_FlushContext(esys_, *it);
  }
  Esys_Finalize(&esys_);
  Tss2_TctiLdr_Finalize(&tcti_);
}

void TpmClient::Flush(ESYS_TR handle) {
  auto it = std::find(transient_.begin(), transient_.end(), handle);
  if (it == transient_.end()) return;
  transient_.erase(it);
  Esys_FlushContext(esys_, handle);
}

absl::Status TpmClient::Startup(uint8_t locality) {
  if (locality != 0) {
    TSS2_RC rc = Tss2_Tcti_SetLocality(tcti_, locality);
    if (rc != TSS2_RC_SUCCESS) return TssError("set locality", rc);
  }
  TSS2_RC rc = Esys_Startup(esys_, TPM2_SU_CLEAR);
  if (locality != 0) {
    TSS2_RC back = Tss2_Tcti_SetLocality(tcti_, 0);
    if (rc == TSS2_RC_SUCCESS && back != TSS2_RC_SUCCESS) return TssError("set locality 0", back);
  }
  if (rc != TSS2_RC_SUCCESS) return TssError("TPM2_Startup", rc);
  return absl::OkStatus();
}

absl::Status TpmClient::Extend(uint32_t pcr, std::span<const crypto::HashAlg> banks,
                               std::span<const crypto::Digest> digests) {
  if (pcr > 23 || banks.size() != digests.size() || banks.size() > TPM2_NUM_PCR_BANKS) {
    return absl::InvalidArgumentError(absl::StrCat("cannot extend PCR ", pcr));
  }
  TPML_DIGEST_VALUES values = {};
  values.count = static_cast<uint32_t>(banks.size());
  for (size_t i = 0; i < banks.size(); ++i) {
    values.digests[i].hashAlg = static_cast<TPMI_ALG_HASH>(banks[i]);
    if (digests[i].size() != crypto::DigestSize(banks[i]) || digests[i].size() > sizeof(TPMU_HA)) {
      return absl::InvalidArgumentError("digest size does not match its bank");
    }
    std::memcpy(&values.digests[i].digest, digests[i].data(), digests[i].size());
  }
  TSS2_RC rc = Esys_PCR_Extend(esys_, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE, &values);
  if (rc != TSS2_RC_SUCCESS) return TssError(absl::StrCat("TPM2_PCR_Extend(PCR ", pcr, ")"), rc);
  return absl::OkStatus();
}

absl::StatusOr<PcrReadResult> TpmClient::ReadPcrs(const TPML_PCR_SELECTION& selection) {
  PcrReadResult result;
  TPML_PCR_SELECTION remaining = selection;
  // TPM2_PCR_Read returns at most 8 digests per call; ask again for what it left out.
  while (!SelectionEmpty(remaining)) {
    TPML_PCR_SELECTION* out_sel = nullptr;
    TPML_DIGEST* out_values = nullptr;
    uint32_t counter = 0;
    TSS2_RC rc = Esys_PCR_Read(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &remaining,
                               &counter, &out_sel, &out_values);
    EsysPtr<TPML_PCR_SELECTION> sel_owner(out_sel);
    EsysPtr<TPML_DIGEST> values_owner(out_values);
    if (rc != TSS2_RC_SUCCESS) return TssError("TPM2_PCR_Read", rc);
    if (out_values->count == 0) return absl::InternalError("TPM2_PCR_Read returned no digests");
    uint32_t next = 0;
    for (uint32_t b = 0; b < out_sel->count; ++b) {
      const TPMS_PCR_SELECTION& s = out_sel->pcrSelections[b];
      std::optional<crypto::HashAlg> alg = crypto::HashAlgFromTpmId(s.hash);
      for (uint32_t pcr = 0; pcr < s.sizeofSelect * 8u; ++pcr) {
        if (!(s.pcrSelect[pcr / 8] & (1u << (pcr % 8)))) continue;
        if (next >= out_values->count || !alg)
          return absl::InternalError("TPM2_PCR_Read: selection and values disagree");
        const TPM2B_DIGEST& d = out_values->digests[next++];
        result.values[{*alg, pcr}] = crypto::Digest(d.buffer, d.buffer + d.size);
        for (uint32_t r = 0; r < remaining.count; ++r) {
          if (remaining.pcrSelections[r].hash == s.hash) {
            remaining.pcrSelections[r].pcrSelect[pcr / 8] &=
                static_cast<uint8_t>(~(1u << (pcr % 8)));
          }
        }
      }
    }
    result.chunks.push_back(*out_values);
  }
  return result;
}

absl::StatusOr<Bytes> TpmClient::ReadNv(TPM2_HANDLE index) {
  ESYS_TR nv = ESYS_TR_NONE;
  TSS2_RC rc = Esys_TR_FromTPMPublic(esys_, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
  if (rc != TSS2_RC_SUCCESS) return TssError(absl::StrFormat("NV index 0x%08x", index), rc);
  TPM2B_NV_PUBLIC* pub = nullptr;
  TPM2B_NAME* name = nullptr;
  rc = Esys_NV_ReadPublic(esys_, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name);
  EsysPtr<TPM2B_NV_PUBLIC> pub_owner(pub);
  EsysPtr<TPM2B_NAME> name_owner(name);
  if (rc != TSS2_RC_SUCCESS) {
    Esys_TR_Close(esys_, &nv);
    return TssError("TPM2_NV_ReadPublic", rc);
  }
  const uint16_t size = pub->nvPublic.dataSize;
  Bytes out;
  constexpr uint16_t kChunk = 512;  // below every TPM's MAX_NV_BUFFER_SIZE
  while (out.size() < size) {
    const uint16_t n = static_cast<uint16_t>(std::min<size_t>(kChunk, size - out.size()));
    TPM2B_MAX_NV_BUFFER* data = nullptr;
    rc = Esys_NV_Read(esys_, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, n,
                      static_cast<uint16_t>(out.size()), &data);
    EsysPtr<TPM2B_MAX_NV_BUFFER> data_owner(data);
    if (rc != TSS2_RC_SUCCESS) {
      Esys_TR_Close(esys_, &nv);
      return TssError("TPM2_NV_Read", rc);
    }
    out.insert(out.end(), data->buffer, data->buffer + data->size);
  }
  Esys_TR_Close(esys_, &nv);
  return out;
}

absl::StatusOr<std::pair<ESYS_TR, TPM2B_PUBLIC>> TpmClient::CreateEk() {
  TPM2B_PUBLIC in_public = {};
  TPMT_PUBLIC& p = in_public.publicArea;
  p.type = TPM2_ALG_RSA;
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                       TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
                       TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
  p.authPolicy.size = sizeof(kEkPolicy);
  std::memcpy(p.authPolicy.buffer, kEkPolicy, sizeof(kEkPolicy));
  p.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
  p.parameters.rsaDetail.symmetric.keyBits.aes = 128;
  p.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
  p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
  p.parameters.rsaDetail.keyBits = 2048;
  p.parameters.rsaDetail.exponent = 0;
  p.unique.rsa.size = 256;  // 256 zero bytes
  TPM2B_SENSITIVE_CREATE sensitive = {};
  TPM2B_DATA outside = {};
  TPML_PCR_SELECTION creation_pcr = {};
  ESYS_TR ek = ESYS_TR_NONE;
  TPM2B_PUBLIC* out_public = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* ticket = nullptr;
  TSS2_RC rc = Esys_CreatePrimary(esys_, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                  ESYS_TR_NONE, &sensitive, &in_public, &outside, &creation_pcr,
                                  &ek, &out_public, &creation_data, &creation_hash, &ticket);
  EsysPtr<TPM2B_PUBLIC> public_owner(out_public);
  Esys_Free(creation_data);
  Esys_Free(creation_hash);
  Esys_Free(ticket);
  if (rc != TSS2_RC_SUCCESS) return TssError("TPM2_CreatePrimary(EK)", rc);
  transient_.push_back(ek);
  return std::make_pair(ek, *out_public);
}

absl::StatusOr<ESYS_TR> TpmClient::EkPolicySession() {
  TPMT_SYM_DEF symmetric = {};
  symmetric.algorithm = TPM2_ALG_NULL;
  ESYS_TR session = ESYS_TR_NONE;
  TSS2_RC rc = Esys_StartAuthSession(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                     ESYS_TR_NONE, nullptr, TPM2_SE_POLICY, &symmetric,
                                     TPM2_ALG_SHA256, &session);
  if (rc != TSS2_RC_SUCCESS) return TssError("TPM2_StartAuthSession", rc);
  transient_.push_back(session);
  TPM2B_TIMEOUT* timeout = nullptr;
  TPMT_TK_AUTH* ticket = nullptr;
  rc = Esys_PolicySecret(esys_, ESYS_TR_RH_ENDORSEMENT, session, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                         ESYS_TR_NONE, nullptr, nullptr, nullptr, 0, &timeout, &ticket);
  Esys_Free(timeout);
  Esys_Free(ticket);
  if (rc != TSS2_RC_SUCCESS) {
    Flush(session);
    return TssError("TPM2_PolicySecret(endorsement)", rc);
  }
  return session;
}

absl::StatusOr<std::pair<ESYS_TR, TPM2B_PUBLIC>> TpmClient::CreateAk(ESYS_TR ek, AkType type) {
  TPM2B_PUBLIC in_public = {};
  TPMT_PUBLIC& p = in_public.publicArea;
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
                       TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_USERWITHAUTH;
  if (type == AkType::kRsa2048) {
    p.type = TPM2_ALG_RSA;
    p.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
    p.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
    p.parameters.rsaDetail.keyBits = 2048;
  } else {
    p.type = TPM2_ALG_ECC;
    p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  }
  TPM2B_SENSITIVE_CREATE sensitive = {};
  TPM2B_DATA outside = {};
  TPML_PCR_SELECTION creation_pcr = {};
  TPM2B_PRIVATE* out_private = nullptr;
  TPM2B_PUBLIC* out_public = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* ticket = nullptr;

  // The EK's policy session is used up by each command, so Create and Load get one each.
  ASSIGN_OR_RETURN(ESYS_TR session, EkPolicySession());
  TSS2_RC rc = Esys_Create(esys_, ek, session, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &in_public,
                           &outside, &creation_pcr, &out_private, &out_public, &creation_data,
                           &creation_hash, &ticket);
  Flush(session);
  EsysPtr<TPM2B_PRIVATE> private_owner(out_private);
  EsysPtr<TPM2B_PUBLIC> public_owner(out_public);
  Esys_Free(creation_data);
  Esys_Free(creation_hash);
  Esys_Free(ticket);
  if (rc != TSS2_RC_SUCCESS) return TssError("TPM2_Create(AK)", rc);

  ASSIGN_OR_RETURN(session, EkPolicySession());
  ESYS_TR ak = ESYS_TR_NONE;
  rc = Esys_Load(esys_, ek, session, ESYS_TR_NONE, ESYS_TR_NONE, out_private, out_public, &ak);
  Flush(session);
  if (rc != TSS2_RC_SUCCESS) return TssError("TPM2_Load(AK)", rc);
  transient_.push_back(ak);
  return std::make_pair(ak, *out_public);
}

absl::Status TpmClient::Persist(ESYS_TR object, TPM2_HANDLE persistent_handle) {
  // Evict whatever is persisted at the handle first: EvictControl refuses an occupied slot.
  // Asked with GetCapability rather than by probing with TR_FromTPMPublic, which logs an
  // ESAPI error for the usual case of an empty slot.
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* cap = nullptr;
  TSS2_RC rc = Esys_GetCapability(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                                  persistent_handle, 1, &more, &cap);
  EsysPtr<TPMS_CAPABILITY_DATA> cap_owner(cap);
  if (rc != TSS2_RC_SUCCESS) return TssError("TPM2_GetCapability(handles)", rc);
  const bool occupied =
      cap->data.handles.count > 0 && cap->data.handles.handle[0] == persistent_handle;
  ESYS_TR existing = ESYS_TR_NONE;
  if (occupied && Esys_TR_FromTPMPublic(esys_, persistent_handle, ESYS_TR_NONE, ESYS_TR_NONE,
                                        ESYS_TR_NONE, &existing) == TSS2_RC_SUCCESS) {
    ESYS_TR gone = ESYS_TR_NONE;
    rc = Esys_EvictControl(esys_, ESYS_TR_RH_OWNER, existing, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                           ESYS_TR_NONE, persistent_handle, &gone);
    if (rc != TSS2_RC_SUCCESS) {
      Esys_TR_Close(esys_, &existing);
      return TssError(absl::StrFormat("TPM2_EvictControl(evict 0x%08x)", persistent_handle), rc);
    }
  }
  ESYS_TR persistent = ESYS_TR_NONE;
  rc = Esys_EvictControl(esys_, ESYS_TR_RH_OWNER, object, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                         ESYS_TR_NONE, persistent_handle, &persistent);
  if (rc != TSS2_RC_SUCCESS) {
    return TssError(absl::StrFormat("TPM2_EvictControl(persist at 0x%08x)", persistent_handle), rc);
  }
  Esys_TR_Close(esys_, &persistent);  // the library's reference only; the object stays
  return absl::OkStatus();
}

absl::StatusOr<QuoteResult> TpmClient::Quote(ESYS_TR ak, std::span<const uint8_t> nonce,
                                             const TPML_PCR_SELECTION& selection) {
  TPM2B_DATA qualifying = {};
  if (nonce.size() > sizeof(qualifying.buffer)) return absl::InvalidArgumentError("nonce too long");
  qualifying.size = static_cast<uint16_t>(nonce.size());
  std::copy(nonce.begin(), nonce.end(), qualifying.buffer);
  TPMT_SIG_SCHEME scheme = {};
  scheme.scheme = TPM2_ALG_NULL;  // the AK's own scheme
  TPM2B_ATTEST* quoted = nullptr;
  TPMT_SIGNATURE* signature = nullptr;
  TSS2_RC rc = Esys_Quote(esys_, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying,
                          &scheme, &selection, &quoted, &signature);
  EsysPtr<TPM2B_ATTEST> quoted_owner(quoted);
  EsysPtr<TPMT_SIGNATURE> signature_owner(signature);
  if (rc != TSS2_RC_SUCCESS) return TssError("TPM2_Quote", rc);
  QuoteResult result;
  result.attest.assign(quoted->attestationData, quoted->attestationData + quoted->size);
  result.signature.resize(sizeof(TPMT_SIGNATURE));
  size_t offset = 0;
  rc = Tss2_MU_TPMT_SIGNATURE_Marshal(signature, result.signature.data(), result.signature.size(),
                                      &offset);
  if (rc != TSS2_RC_SUCCESS) return TssError("marshal TPMT_SIGNATURE", rc);
  result.signature.resize(offset);
  return result;
}

}  // namespace bootgate::fixtures
