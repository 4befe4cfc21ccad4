#include "cli/tpm_agent.h"

#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/esys_support.h"
#include "cli/pcr_defaults.h"
#include "verifier/crypto/hash.h"

namespace bootgate::cli {
namespace {

absl::StatusOr<uint32_t> ParsePcrNumber(absl::string_view text, absl::string_view part) {
  uint32_t n = 0;
  if (!absl::SimpleAtoi(text, &n) || n > 23) {
    return absl::InvalidArgumentError(
        absl::StrCat("PCR selection \"", part, "\": \"", text, "\" is not a PCR number 0-23"));
  }
  return n;
}

}  // namespace

absl::StatusOr<TPML_PCR_SELECTION> ParsePcrSelection(absl::string_view spec) {
  TPML_PCR_SELECTION sel = {};
  for (absl::string_view part : absl::StrSplit(spec, '+')) {
    const size_t colon = part.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("PCR selection \"", part, "\": expected BANK:PCRS, e.g. sha256:0-9"));
    }
    const std::string bank_name(part.substr(0, colon));
    std::optional<crypto::HashAlg> bank = crypto::HashAlgFromName(bank_name);
    if (!bank) {
      return absl::InvalidArgumentError(
          absl::StrCat("PCR selection \"", part, "\": unknown bank \"", bank_name, "\""));
    }
    if (sel.count == TPM2_NUM_PCR_BANKS) {
      return absl::InvalidArgumentError("PCR selection: too many banks");
    }
    for (uint32_t i = 0; i < sel.count; ++i) {
      if (sel.pcrSelections[i].hash == static_cast<TPMI_ALG_HASH>(*bank)) {
        return absl::InvalidArgumentError(
            absl::StrCat("PCR selection: bank ", bank_name, " given twice"));
      }
    }
    TPMS_PCR_SELECTION& s = sel.pcrSelections[sel.count++];
    s.hash = static_cast<TPMI_ALG_HASH>(*bank);
    s.sizeofSelect = 3;
    for (absl::string_view item : absl::StrSplit(part.substr(colon + 1), ',')) {
      const size_t dash = item.find('-');
      uint32_t first = 0, last = 0;
      if (dash == absl::string_view::npos) {
        absl::StatusOr<uint32_t> n = ParsePcrNumber(item, part);
        if (!n.ok()) return n.status();
        first = last = *n;
      } else {
        absl::StatusOr<uint32_t> a = ParsePcrNumber(item.substr(0, dash), part);
        if (!a.ok()) return a.status();
        absl::StatusOr<uint32_t> b = ParsePcrNumber(item.substr(dash + 1), part);
        if (!b.ok()) return b.status();
        if (*a > *b) {
          return absl::InvalidArgumentError(
              absl::StrCat("PCR selection \"", part, "\": range ", item, " is backwards"));
        }
        first = *a;
        last = *b;
      }
      for (uint32_t pcr = first; pcr <= last; ++pcr) {
        s.pcrSelect[pcr / 8] |= static_cast<uint8_t>(1u << (pcr % 8));
      }
    }
  }
  if (sel.count == 0) return absl::InvalidArgumentError("PCR selection is empty");
  return sel;
}

absl::StatusOr<uint32_t> ParsePersistentHandle(absl::string_view text) {
  uint32_t handle = 0;
  bool ok = false;
  if (absl::StartsWith(text, "0x") || absl::StartsWith(text, "0X")) {
    const char* begin = text.data() + 2;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(begin, end, handle, 16);
    ok = ec == std::errc() && ptr == end && begin != end;
  } else {
    ok = absl::SimpleAtoi(text, &handle);
  }
  if (!ok || (handle & 0xff000000u) != TPM2_PERSISTENT_FIRST) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AK handle \"", text, "\" is not a persistent handle (0x81000000-0x81ffffff)"));
  }
  return handle;
}

std::string ResolveTcti(const std::string& flag) {
  if (!flag.empty()) return flag;
  for (const char* name : {"BOOTGATE_TCTI", "TPM2TOOLS_TCTI"}) {
    const char* env = std::getenv(name);
    if (env != nullptr && *env != '\0') return env;
  }
  return "device:/dev/tpmrm0";
}

absl::StatusOr<std::unique_ptr<TpmAgent>> TpmAgent::Open(const std::string& tcti) {
  TSS2_TCTI_CONTEXT* tcti_ctx = nullptr;
  TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti.c_str(), &tcti_ctx);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::UnavailableError(
        absl::StrFormat("cannot open TPM \"%s\": %s", tcti, Tss2_RC_Decode(rc)));
  }
  ESYS_CONTEXT* esys = nullptr;
  rc = Esys_Initialize(&esys, tcti_ctx, nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    Tss2_TctiLdr_Finalize(&tcti_ctx);
    return absl::UnavailableError(
        absl::StrFormat("TPM \"%s\" does not answer: %s", tcti, Tss2_RC_Decode(rc)));
  }
  return std::unique_ptr<TpmAgent>(new TpmAgent(tcti_ctx, esys));
}

TpmAgent::~TpmAgent() {
  Esys_Finalize(&esys_);
  Tss2_TctiLdr_Finalize(&tcti_);
}

absl::StatusOr<TPML_PCR_SELECTION> DefaultPcrSelection(const TPML_PCR_SELECTION& allocated) {
  TPML_PCR_SELECTION sel = {};
  for (uint32_t i = 0; i < allocated.count && i < TPM2_NUM_PCR_BANKS; ++i) {
    const TPMS_PCR_SELECTION& bank = allocated.pcrSelections[i];
    if (!crypto::HashAlgFromTpmId(bank.hash).has_value()) continue;  // a bank bootgate cannot use
    TPMS_PCR_SELECTION s = {};
    s.hash = bank.hash;
    s.sizeofSelect = 3;
    bool any = false;
    for (uint32_t pcr : kBootChainPcrs) {
      const uint32_t byte = pcr / 8;
      const uint8_t bit = static_cast<uint8_t>(1u << (pcr % 8));
      if (byte >= bank.sizeofSelect || (bank.pcrSelect[byte] & bit) == 0) continue;
      s.pcrSelect[byte] |= bit;
      any = true;
    }
    if (any) sel.pcrSelections[sel.count++] = s;
  }
  if (sel.count == 0) {
    return absl::FailedPreconditionError(
        "the TPM has no PCR bank allocated with the boot PCRs (0-9, 14) in a hash bootgate "
        "knows: allocate one (tpm2_pcrallocate) or give --pcrs");
  }
  return sel;
}

std::string FormatTpmlPcrSelection(const TPML_PCR_SELECTION& selection) {
  std::string out;
  for (uint32_t i = 0; i < selection.count && i < TPM2_NUM_PCR_BANKS; ++i) {
    const TPMS_PCR_SELECTION& bank = selection.pcrSelections[i];
    const std::optional<crypto::HashAlg> alg = crypto::HashAlgFromTpmId(bank.hash);
    std::vector<std::string> parts;
    for (uint32_t pcr = 0; pcr < 8u * bank.sizeofSelect && pcr < 24; ++pcr) {
      if ((bank.pcrSelect[pcr / 8] & (1u << (pcr % 8))) == 0) continue;
      uint32_t last = pcr;
      while (last + 1 < 8u * bank.sizeofSelect && last + 1 < 24 &&
             (bank.pcrSelect[(last + 1) / 8] & (1u << ((last + 1) % 8))) != 0) {
        ++last;
      }
      parts.push_back(last == pcr ? absl::StrCat(pcr) : absl::StrCat(pcr, "-", last));
      pcr = last;
    }
    absl::StrAppend(
        &out, out.empty() ? "" : "+",
        alg.has_value() ? crypto::HashAlgName(*alg) : absl::StrFormat("0x%04x", bank.hash), ":",
        absl::StrJoin(parts, ","));
  }
  return out;
}

absl::StatusOr<TPML_PCR_SELECTION> TpmAgent::AllocatedPcrs() {
  TPMS_CAPABILITY_DATA* data = nullptr;
  TPMI_YES_NO more = TPM2_NO;
  const TSS2_RC rc = Esys_GetCapability(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                        TPM2_CAP_PCRS, 0, 1, &more, &data);
  EsysPtr<TPMS_CAPABILITY_DATA> owner(data);
  if (rc != TSS2_RC_SUCCESS || data == nullptr) {
    return absl::InternalError(
        absl::StrCat("TPM2_GetCapability(TPM_CAP_PCRS): ", Tss2_RC_Decode(rc)));
  }
  return data->data.assignedPCR;
}

absl::StatusOr<TpmQuote> TpmAgent::Quote(uint32_t ak_handle,
                                         std::span<const uint8_t> qualifying_data,
                                         const TPML_PCR_SELECTION& selection) {
  TPM2B_DATA qualifying = {};
  if (qualifying_data.size() > sizeof(qualifying.buffer)) {
    return absl::InvalidArgumentError("qualifying data longer than 64 bytes");
  }
  qualifying.size = static_cast<uint16_t>(qualifying_data.size());
  std::copy(qualifying_data.begin(), qualifying_data.end(), qualifying.buffer);

  // An ESYS_TR for a persistent object is only a reference: Esys_TR_Close releases it in the
  // library without evicting anything from the TPM.
  ESYS_TR ak = ESYS_TR_NONE;
  TSS2_RC rc =
      Esys_TR_FromTPMPublic(esys_, ak_handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ak);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "no AK persisted at 0x%08x (%s): create one with tpm2_createak and tpm2_evictcontrol, "
        "or pass --ak-handle",
        ak_handle, Tss2_RC_Decode(rc)));
  }
  TPMT_SIG_SCHEME scheme = {};
  scheme.scheme = TPM2_ALG_NULL;  // the AK's own scheme
  TPM2B_ATTEST* quoted = nullptr;
  TPMT_SIGNATURE* signature = nullptr;
  rc = Esys_Quote(esys_, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying, &scheme,
                  &selection, &quoted, &signature);
  Esys_TR_Close(esys_, &ak);
  EsysPtr<TPM2B_ATTEST> quoted_owner(quoted);
  EsysPtr<TPMT_SIGNATURE> signature_owner(signature);
  if (rc != TSS2_RC_SUCCESS)
    return TssError(absl::StrFormat("TPM2_Quote with AK 0x%08x", ak_handle), rc);

  TpmQuote result;
  result.attest.assign(quoted->attestationData, quoted->attestationData + quoted->size);
  result.signature.resize(sizeof(TPMT_SIGNATURE));
  size_t offset = 0;
  rc = Tss2_MU_TPMT_SIGNATURE_Marshal(signature, result.signature.data(), result.signature.size(),
                                      &offset);
  if (rc != TSS2_RC_SUCCESS) return TssError("marshal TPMT_SIGNATURE", rc);
  result.signature.resize(offset);
  return result;
}

}  // namespace bootgate::cli
