#include "tests/unit/tpm/quote_builder.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <cstring>
#include <stdexcept>

namespace bootgate::tpm::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);  // test helper: a failure here is a broken test
}

const EVP_MD* Md(uint16_t hash) {
  switch (hash) {
    case TPM2_ALG_SHA1:
      return EVP_sha1();
    case TPM2_ALG_SHA384:
      return EVP_sha384();
    case TPM2_ALG_SHA512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

Bytes BnBytes(EVP_PKEY* key, const char* param, int pad) {
  BIGNUM* bn = nullptr;
  Check(EVP_PKEY_get_bn_param(key, param, &bn) == 1, "get bn param");
  crypto::BignumPtr owned(bn);
  Bytes out(pad > 0 ? pad : BN_num_bytes(bn));
  Check(BN_bn2binpad(bn, out.data(), static_cast<int>(out.size())) >= 0, "bn2bin");
  return out;
}

}  // namespace

Bytes MarshalAttest(const AttestFields& f) {
  TPMS_ATTEST a = {};
  a.magic = f.magic;
  a.type = f.type;
  a.qualifiedSigner.size = static_cast<uint16_t>(f.signer.size());
  // memcpy from an empty vector's data() (null) is undefined even for 0 bytes.
  if (!f.signer.empty()) std::memcpy(a.qualifiedSigner.name, f.signer.data(), f.signer.size());
  a.extraData.size = static_cast<uint16_t>(f.nonce.size());
  if (!f.nonce.empty()) std::memcpy(a.extraData.buffer, f.nonce.data(), f.nonce.size());
  a.clockInfo.clock = f.clock;
  a.clockInfo.resetCount = f.reset_count;
  a.clockInfo.restartCount = f.restart_count;
  a.clockInfo.safe = f.safe;
  a.firmwareVersion = f.firmware;
  if (f.type == TPM2_ST_ATTEST_QUOTE) {
    TPML_PCR_SELECTION& sel = a.attested.quote.pcrSelect;
    sel.count = static_cast<uint32_t>(f.selection.size());
    for (size_t i = 0; i < f.selection.size(); ++i) {
      sel.pcrSelections[i].hash = f.selection[i].first;
      sel.pcrSelections[i].sizeofSelect = 3;
      for (uint32_t pcr : f.selection[i].second) {
        sel.pcrSelections[i].pcrSelect[pcr / 8] |= static_cast<uint8_t>(1u << (pcr % 8));
      }
    }
    a.attested.quote.pcrDigest.size = static_cast<uint16_t>(f.pcr_digest.size());
    std::memcpy(a.attested.quote.pcrDigest.buffer, f.pcr_digest.data(), f.pcr_digest.size());
  }
  Bytes out(sizeof(TPMS_ATTEST));
  size_t offset = 0;
  Check(Tss2_MU_TPMS_ATTEST_Marshal(&a, out.data(), out.size(), &offset) == TSS2_RC_SUCCESS,
        "marshal TPMS_ATTEST");
  out.resize(offset);
  return out;
}

crypto::EvpPkeyPtr NewRsaKey(int bits) {
  crypto::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  Check(key != nullptr, "RSA keygen");
  return key;
}

crypto::EvpPkeyPtr NewEcKey(const char* group) {
  crypto::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group));
  Check(key != nullptr, "EC keygen");
  return key;
}

Bytes SignTpm(EVP_PKEY* key, uint16_t scheme, uint16_t hash, std::span<const uint8_t> message) {
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  Check(EVP_DigestSignInit(ctx.get(), &pctx, Md(hash), nullptr, key) == 1, "sign init");
  if (scheme == TPM2_ALG_RSAPSS) {
    Check(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1,
          "pss");
  }
  size_t len = 0;
  Check(EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) == 1, "sign len");
  Bytes sig(len);
  Check(EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) == 1, "sign");
  sig.resize(len);

  TPMT_SIGNATURE t = {};
  t.sigAlg = scheme;
  if (scheme == TPM2_ALG_ECDSA) {
    const uint8_t* p = sig.data();
    crypto::EcdsaSigPtr ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
    Check(ecdsa != nullptr, "d2i ECDSA");
    const int field = (EVP_PKEY_get_bits(key) + 7) / 8;
    t.signature.ecdsa.hash = hash;
    t.signature.ecdsa.signatureR.size = static_cast<uint16_t>(field);
    t.signature.ecdsa.signatureS.size = static_cast<uint16_t>(field);
    BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa.get()), t.signature.ecdsa.signatureR.buffer, field);
    BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa.get()), t.signature.ecdsa.signatureS.buffer, field);
  } else {
    TPMS_SIGNATURE_RSA& rsa = scheme == TPM2_ALG_RSAPSS ? t.signature.rsapss : t.signature.rsassa;
    rsa.hash = hash;
    rsa.sig.size = static_cast<uint16_t>(sig.size());
    std::memcpy(rsa.sig.buffer, sig.data(), sig.size());
  }
  Bytes out(sizeof(TPMT_SIGNATURE));
  size_t offset = 0;
  Check(Tss2_MU_TPMT_SIGNATURE_Marshal(&t, out.data(), out.size(), &offset) == TSS2_RC_SUCCESS,
        "marshal TPMT_SIGNATURE");
  out.resize(offset);
  return out;
}

Bytes TpmPublic(EVP_PKEY* key, bool tpm2b) {
  TPMT_PUBLIC pub = {};
  pub.nameAlg = TPM2_ALG_SHA256;
  pub.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                         TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                         TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
  if (EVP_PKEY_is_a(key, "RSA")) {
    pub.type = TPM2_ALG_RSA;
    pub.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    pub.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
    pub.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
    pub.parameters.rsaDetail.keyBits = static_cast<uint16_t>(EVP_PKEY_get_bits(key));
    const Bytes n = BnBytes(key, OSSL_PKEY_PARAM_RSA_N, 0);
    pub.unique.rsa.size = static_cast<uint16_t>(n.size());
    std::memcpy(pub.unique.rsa.buffer, n.data(), n.size());
  } else {
    pub.type = TPM2_ALG_ECC;
    pub.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    pub.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    pub.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    const int bits = EVP_PKEY_get_bits(key);
    pub.parameters.eccDetail.curveID = bits == 384 ? TPM2_ECC_NIST_P384 : TPM2_ECC_NIST_P256;
    pub.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    const int field = (bits + 7) / 8;
    const Bytes x = BnBytes(key, OSSL_PKEY_PARAM_EC_PUB_X, field);
    const Bytes y = BnBytes(key, OSSL_PKEY_PARAM_EC_PUB_Y, field);
    pub.unique.ecc.x.size = static_cast<uint16_t>(x.size());
    std::memcpy(pub.unique.ecc.x.buffer, x.data(), x.size());
    pub.unique.ecc.y.size = static_cast<uint16_t>(y.size());
    std::memcpy(pub.unique.ecc.y.buffer, y.data(), y.size());
  }
  Bytes out(sizeof(TPM2B_PUBLIC));
  size_t offset = 0;
  if (tpm2b) {
    TPM2B_PUBLIC b = {};
    b.publicArea = pub;
    Check(Tss2_MU_TPM2B_PUBLIC_Marshal(&b, out.data(), out.size(), &offset) == TSS2_RC_SUCCESS,
          "marshal TPM2B_PUBLIC");
  } else {
    Check(Tss2_MU_TPMT_PUBLIC_Marshal(&pub, out.data(), out.size(), &offset) == TSS2_RC_SUCCESS,
          "marshal TPMT_PUBLIC");
  }
  out.resize(offset);
  return out;
}

Bytes PemPublic(EVP_PKEY* key) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PUBKEY(bio.get(), key) == 1, "PEM write");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return Bytes(data, data + len);
}

Bytes DerPublic(EVP_PKEY* key) {
  const int len = i2d_PUBKEY(key, nullptr);
  Check(len > 0, "DER len");
  Bytes out(static_cast<size_t>(len));
  uint8_t* p = out.data();
  Check(i2d_PUBKEY(key, &p) == len, "DER write");
  return out;
}

namespace {
void PutLe(Bytes& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
}  // namespace

Bytes PcrFileBytes(const PcrSelection& selection, const crypto::PcrValues& values) {
  Bytes out;
  PutLe(out, selection.size(), 4);
  for (size_t i = 0; i < 16; ++i) {
    uint8_t select[4] = {};
    uint16_t alg = 0;
    if (i < selection.size()) {
      alg = static_cast<uint16_t>(selection[i].bank);
      for (uint32_t pcr : selection[i].pcrs)
        select[pcr / 8] |= static_cast<uint8_t>(1u << (pcr % 8));
    }
    PutLe(out, alg, 2);
    out.push_back(i < selection.size() ? 3 : 0);
    out.insert(out.end(), select, select + 4);
    out.push_back(0);  // struct padding
  }
  std::vector<crypto::Digest> digests;
  for (const PcrBankSelection& bank : selection) {
    for (uint32_t pcr : bank.pcrs) digests.push_back(values.at(bank.bank).at(pcr));
  }
  const size_t lists = (digests.size() + 7) / 8;
  PutLe(out, lists, 4);
  for (size_t l = 0; l < lists; ++l) {
    const size_t count = std::min<size_t>(8, digests.size() - l * 8);
    PutLe(out, count, 4);
    for (size_t d = 0; d < 8; ++d) {
      Bytes buffer(64, 0);
      uint16_t size = 0;
      if (d < count) {
        const crypto::Digest& v = digests[l * 8 + d];
        size = static_cast<uint16_t>(v.size());
        std::copy(v.begin(), v.end(), buffer.begin());
      }
      PutLe(out, size, 2);
      out.insert(out.end(), buffer.begin(), buffer.end());
    }
  }
  return out;
}

crypto::PcrValues SamplePcrs(const PcrSelection& selection) {
  crypto::PcrValues values;
  for (const PcrBankSelection& bank : selection) {
    for (uint32_t pcr : bank.pcrs) {
      values[bank.bank][pcr] =
          crypto::Digest(crypto::DigestSize(bank.bank), static_cast<uint8_t>(pcr + 1));
    }
  }
  return values;
}

}  // namespace bootgate::tpm::testing
