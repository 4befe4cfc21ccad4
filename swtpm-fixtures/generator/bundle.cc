#include "swtpm-fixtures/generator/bundle.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include <bit>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::fixtures {
namespace {

absl::Status OpenSslError(std::string_view what) {
  return absl::InternalError(absl::StrCat("OpenSSL: ", std::string(what)));
}

template <typename T>
void AppendRaw(Bytes& out, const T& value) {
  // The "serialized" PCR format is a memory image of the TSS structure (tpm2-tools fwrite()s
  // it), so it is produced the same way, from a zero-initialised copy.
  uint8_t raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  out.insert(out.end(), raw, raw + sizeof(T));
}

}  // namespace

absl::StatusOr<std::string> PublicKeyPem(const TPMT_PUBLIC& pub) {
  crypto::OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr) return OpenSslError("OSSL_PARAM_BLD_new");
  const char* key_type;
  crypto::BignumPtr n, e;
  Bytes point;
  if (pub.type == TPM2_ALG_RSA) {
    key_type = "RSA";
    n.reset(BN_bin2bn(pub.unique.rsa.buffer, pub.unique.rsa.size, nullptr));
    e.reset(BN_new());
    const uint32_t exponent =
        pub.parameters.rsaDetail.exponent == 0 ? 65537 : pub.parameters.rsaDetail.exponent;
    if (n == nullptr || e == nullptr || BN_set_word(e.get(), exponent) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
      return OpenSslError("RSA parameters");
    }
  } else if (pub.type == TPM2_ALG_ECC && pub.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256) {
    key_type = "EC";
    point.push_back(0x04);  // uncompressed point
    point.insert(point.end(), pub.unique.ecc.x.buffer,
                 pub.unique.ecc.x.buffer + pub.unique.ecc.x.size);
    point.insert(point.end(), pub.unique.ecc.y.buffer,
                 pub.unique.ecc.y.buffer + pub.unique.ecc.y.size);
    if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
            1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
      return OpenSslError("EC parameters");
    }
  } else {
    return absl::InvalidArgumentError("AK is neither RSA nor ECC P-256");
  }
  crypto::OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw_key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return OpenSslError("EVP_PKEY_fromdata");
  }
  crypto::EvpPkeyPtr key(raw_key);
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1)
    return OpenSslError("PEM_write_bio_PUBKEY");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0) return OpenSslError("BIO_get_mem_data");
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<Bytes> MarshalPublic(const TPM2B_PUBLIC& pub) {
  Bytes out(sizeof(TPM2B_PUBLIC));
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, out.data(), out.size(), &offset);
  if (rc != TSS2_RC_SUCCESS) return TssError("marshal TPM2B_PUBLIC", rc);
  out.resize(offset);
  return out;
}

Bytes SerializedPcrs(const TPML_PCR_SELECTION& selection, const PcrReadResult& pcrs) {
  static_assert(std::endian::native == std::endian::little,
                "serialized PCR files are little-endian");
  Bytes out;
  TPML_PCR_SELECTION sel;
  std::memset(&sel, 0, sizeof(sel));
  sel.count = selection.count;
  for (uint32_t i = 0; i < selection.count; ++i) sel.pcrSelections[i] = selection.pcrSelections[i];
  AppendRaw(out, sel);
  AppendRaw(out, static_cast<uint32_t>(pcrs.chunks.size()));
  for (const TPML_DIGEST& chunk : pcrs.chunks) {
    TPML_DIGEST d;
    std::memset(&d, 0, sizeof(d));
    d.count = chunk.count;
    for (uint32_t i = 0; i < chunk.count; ++i) {
      d.digests[i].size = chunk.digests[i].size;
      std::memcpy(d.digests[i].buffer, chunk.digests[i].buffer, chunk.digests[i].size);
    }
    AppendRaw(out, d);
  }
  return out;
}

absl::Status WriteFile(const std::string& path, std::span<const uint8_t> data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  f.close();
  if (!f) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status WriteFile(const std::string& path, std::string_view text) {
  return WriteFile(
      path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace bootgate::fixtures
