#include "server/bootgated/tls_credentials.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "verifier/bytes/reader.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/hash.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::service {
namespace {

// gRPC's file watcher polls this often (its minimum).
constexpr unsigned int kIdentityRefreshSeconds = 1;
constexpr size_t kMaxPemBytes = 4 << 20;

absl::StatusOr<std::string> ReadPemFile(const std::string& path, const char* setting) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", setting, " ", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > kMaxPemBytes) {
    return absl::InvalidArgumentError(absl::StrCat(setting, " ", path, " is larger than 4 MiB"));
  }
  return text;
}

// The leaf of `chain_pem` when the chain parses and `key_pem` is the leaf's key.
absl::Status CheckIdentity(const v1::TlsConfig& config, absl::string_view chain_pem,
                           absl::string_view key_pem, TlsFiles& out) {
  crypto::BioPtr chain_bio(BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size())));
  crypto::X509Ptr leaf(chain_bio ? PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr)
                                 : nullptr);
  crypto::BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  crypto::EvpPkeyPtr key(key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr)
                                 : nullptr);
  ERR_clear_error();
  if (!leaf) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls.cert_file ", config.cert_file(), " holds no PEM certificate"));
  }
  if (!key) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tls.key_file ", config.key_file(), " holds no PEM private key (or it is encrypted)"));
  }
  if (X509_check_private_key(leaf.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("tls.key_file ", config.key_file(),
                                                   " is not the key of the certificate in ",
                                                   config.cert_file()));
  }
  crypto::BioPtr name(BIO_new(BIO_s_mem()));
  if (name &&
      X509_NAME_print_ex(name.get(), X509_get_subject_name(leaf.get()), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(name.get(), &data);
    if (size > 0) out.certificate_subject.assign(data, static_cast<size_t>(size));
  }
  struct tm t {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf.get()), &t) == 1) {
    char text[32];
    std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &t);
    out.certificate_not_after = text;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TlsFiles> ReadTlsFiles(const v1::TlsConfig& config) {
  TlsFiles files;
  if (config.cert_file().empty()) return files;
  ASSIGN_OR_RETURN(std::string chain, ReadPemFile(config.cert_file(), "tls.cert_file"));
  ASSIGN_OR_RETURN(std::string key, ReadPemFile(config.key_file(), "tls.key_file"));
  RETURN_IF_ERROR(CheckIdentity(config, chain, key, files));
  // The key first: gRPC reads the one file as both, and PEM readers skip the other blocks.
  files.identity_pem = absl::StrCat(key, key.empty() || key.back() == '\n' ? "" : "\n", chain);
  files.identity_sha256 = crypto::Sha256Hex(bytes::AsBytes(files.identity_pem));
  if (!config.client_ca_file().empty()) {
    ASSIGN_OR_RETURN(std::string cas, ReadPemFile(config.client_ca_file(), "tls.client_ca_file"));
    ASSIGN_OR_RETURN(
        files.client_cas,
        ClientCaBundle::FromPem(cas, absl::StrCat("tls.client_ca_file ", config.client_ca_file())));
  }
  return files;
}

absl::Status ServerTls::WriteIdentity(const std::string& pem) {
  const std::string dir = identity_path_.substr(0, identity_path_.rfind('/'));
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", strerror(errno)));
  }
  // The watcher tells a new file from the old by its modification time (whole seconds): the new
  // one's is always later, so that it never mixes the old key with the new certificate.
  struct stat old {};
  const time_t previous = stat(identity_path_.c_str(), &old) == 0 ? old.st_mtime : 0;
  const std::string temp = absl::StrCat(identity_path_, ".new");
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot write ", temp, ": ", strerror(errno)));
  }
  size_t written = 0;
  while (written < pem.size()) {
    const ssize_t n = write(fd, pem.data() + written, pem.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const timespec when = {std::max(time(nullptr), previous + 1), 0};
  const timespec times[2] = {when, when};
  const bool ok = written == pem.size() && futimens(fd, times) == 0 && fsync(fd) == 0;
  const int err = errno;
  close(fd);
  if (!ok || rename(temp.c_str(), identity_path_.c_str()) != 0) {
    const int why = ok ? errno : err;
    unlink(temp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", identity_path_, ": ", strerror(why)));
  }
  identity_sha256_ = crypto::Sha256Hex(bytes::AsBytes(pem));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ServerTls>> ServerTls::Create(const v1::TlsConfig& config,
                                                             const std::string& data_dir) {
  std::unique_ptr<ServerTls> tls(new ServerTls);
  if (config.cert_file().empty()) {
    tls->credentials_ = grpc::InsecureServerCredentials();
    return tls;
  }
  ASSIGN_OR_RETURN(TlsFiles files, ReadTlsFiles(config));
  ASSIGN_OR_RETURN(auto identity, TlsIdentity::FromPem(files.identity_pem));
  tls->identity_ = std::make_unique<TlsIdentityHolder>(std::move(identity));
  tls->enabled_ = true;
  tls->identity_path_ = absl::StrCat(data_dir, "/tls/identity.pem");
  RETURN_IF_ERROR(tls->WriteIdentity(files.identity_pem));
  tls->provider_ = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls->identity_path_, tls->identity_path_, kIdentityRefreshSeconds);
  grpc::experimental::TlsServerCredentialsOptions options(tls->provider_);
  options.watch_identity_key_cert_pairs();
  if (files.client_cas) {
    tls->trust_ = std::make_shared<ClientTrust>(files.client_cas);
    // Requested, not required and not verified by OpenSSL: the verifier decides, and logs why.
    options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
    options.set_certificate_verifier(
        grpc::experimental::ExternalCertificateVerifier::Create<ClientCertificateVerifier>(
            tls->trust_));
  }
  tls->credentials_ = grpc::experimental::TlsServerCredentials(options);
  if (!tls->credentials_) return absl::InternalError("gRPC refused the TLS server options");
  return tls;
}

absl::StatusOr<std::vector<std::string>> ServerTls::Apply(const TlsFiles& files) {
  std::vector<std::string> changed;
  if (!enabled_) return changed;
  if (files.identity_sha256 != identity_sha256_) {
    ASSIGN_OR_RETURN(auto identity, TlsIdentity::FromPem(files.identity_pem));
    RETURN_IF_ERROR(WriteIdentity(files.identity_pem));
    identity_->Set(std::move(identity));
    changed.push_back("server_certificate");
  }
  if (trust_ && files.client_cas) {
    const auto current = trust_->Get();
    if (!current || current->sha256() != files.client_cas->sha256()) {
      trust_->Set(files.client_cas);
      changed.push_back("client_ca");
    }
  }
  return changed;
}

}  // namespace bootgate::service
