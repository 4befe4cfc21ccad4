#include "tests/unit/enroll/cert_builder.h"

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace bootgate::enroll::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("cert_builder: ") + what);
}

void AddConfExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr, value);
  Check(X509_add_ext(cert, ext, -1) == 1, "add extension");
  X509_EXTENSION_free(ext);
}

void AddRawExtension(X509* cert, const std::string& oid, std::vector<uint8_t> der) {
  ASN1_OBJECT* obj = OBJ_txt2obj(oid.c_str(), 1);
  ASN1_OCTET_STRING* value = ASN1_OCTET_STRING_new();
  Check(obj != nullptr && value != nullptr &&
            ASN1_OCTET_STRING_set(value, der.data(), static_cast<int>(der.size())) == 1,
        "raw extension value");
  X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj, /*crit=*/1, value);
  Check(ext != nullptr && X509_add_ext(cert, ext, -1) == 1, "raw extension");
  X509_EXTENSION_free(ext);
  ASN1_OCTET_STRING_free(value);
  ASN1_OBJECT_free(obj);
}

// SEQUENCE { Attribute { type, SET { SEQUENCE { UTF8String "2.0", INTEGER 0, INTEGER 164 } } } }:
// the shape of the TCG TPM specification attribute.
std::vector<uint8_t> DirectoryAttributes(const std::string& oid) {
  const std::vector<uint8_t> tpm_spec = {0x30, 0x0c, 0x0c, 0x03, '2',  '.',  '0',
                                         0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0xa4};
  ASN1_OBJECT* obj = OBJ_txt2obj(oid.c_str(), 1);
  Check(obj != nullptr, "attribute OID");
  X509_ATTRIBUTE* attr = X509_ATTRIBUTE_create_by_OBJ(
      nullptr, obj, V_ASN1_SEQUENCE, tpm_spec.data(), static_cast<int>(tpm_spec.size()));
  Check(attr != nullptr, "attribute");
  unsigned char* der = nullptr;
  const int len = i2d_X509_ATTRIBUTE(attr, &der);
  Check(len > 0 && len < 128, "attribute DER");
  std::vector<uint8_t> out = {0x30, static_cast<uint8_t>(len)};
  out.insert(out.end(), der, der + len);
  OPENSSL_free(der);
  X509_ATTRIBUTE_free(attr);
  ASN1_OBJECT_free(obj);
  return out;
}

}  // namespace

crypto::X509Ptr MakeCertificate(const CertSpec& spec, EVP_PKEY* key, X509* issuer,
                                EVP_PKEY* issuer_key) {
  crypto::X509Ptr cert(X509_new());
  Check(cert != nullptr && X509_set_version(cert.get(), X509_VERSION_3) == 1, "new");
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  Check(ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(spec.not_before)) &&
            ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(spec.not_after)),
        "validity");
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!spec.common_name.empty()) {
    Check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>("bootgate tests"), -1,
                                     -1, 0) == 1 &&
              X509_NAME_add_entry_by_txt(
                  name, "CN", MBSTRING_UTF8,
                  reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0) == 1,
          "subject");
  }
  X509* signer = issuer != nullptr ? issuer : cert.get();
  Check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer");
  Check(X509_set_pubkey(cert.get(), key) == 1, "pubkey");

  if (spec.ca) {
    const std::string bc = spec.path_length >= 0
                               ? "critical,CA:TRUE,pathlen:" + std::to_string(spec.path_length)
                               : "critical,CA:TRUE";
    AddConfExtension(cert.get(), signer, NID_basic_constraints, bc.c_str());
    AddConfExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddConfExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    AddConfExtension(cert.get(), signer, NID_key_usage, "critical,keyEncipherment");
  }
  AddConfExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) {
    AddConfExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  }
  if (!spec.directory_attribute_oid.empty()) {
    AddRawExtension(cert.get(), "2.5.29.9", DirectoryAttributes(spec.directory_attribute_oid));
  }
  if (!spec.critical_extension_oid.empty()) {
    AddRawExtension(cert.get(), spec.critical_extension_oid, {0x05, 0x00});
  }
  Check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0, "sign");
  return cert;
}

std::string ToPem(X509* cert) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  Check(bio != nullptr && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::vector<uint8_t> ToDer(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  Check(len > 0, "DER");
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace bootgate::enroll::testing
