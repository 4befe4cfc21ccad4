// Mutual TLS options: where the client certificate comes from (flags, then the environment),
// the pairing rules, and that a wrong file is named before any connection is tried.
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/grpc_client.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::cli {
namespace {

// Each test starts and ends without the variables ResolveTls and ResolveServer read.
void ClearTlsEnvironment() {
  for (const char* name : {"BOOTGATE_CA", "BOOTGATE_CERT", "BOOTGATE_KEY", "BOOTGATE_SERVER"}) {
    unsetenv(name);
  }
}

std::string MemoryBioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string CertPem(X509* cert) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_X509(bio.get(), cert) == 1);
  return MemoryBioText(bio.get());
}

std::string KeyPem(EVP_PKEY* key) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  return MemoryBioText(bio.get());
}

// A self-signed P-256 certificate and its key, as PEM.
struct Identity {
  std::string cert_pem;
  std::string key_pem;
};

Identity MakeIdentity(const char* cn) {
  crypto::EvpPkeyPtr key(EVP_EC_gen("P-256"));
  REQUIRE(key != nullptr);
  crypto::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  return Identity{CertPem(cert.get()), KeyPem(key.get())};
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cli_tls.XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content) const {
    const std::string path = (path_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

 private:
  std::filesystem::path path_;
};

TEST_CASE("client certificate and key come from the flags, else from the environment",
          "[cli_agent]") {
  ClearTlsEnvironment();
  ServerOptions options;
  absl::StatusOr<ResolvedTls> tls = ResolveTls(options);
  REQUIRE(tls.ok());
  CHECK(tls->ca_file.empty());
  CHECK(tls->cert_file.empty());

  setenv("BOOTGATE_CA", "/env/ca.pem", 1);
  setenv("BOOTGATE_CERT", "/env/agent.pem", 1);
  setenv("BOOTGATE_KEY", "/env/agent.key", 1);
  tls = ResolveTls(options);
  REQUIRE(tls.ok());
  CHECK(tls->ca_file == "/env/ca.pem");
  CHECK(tls->cert_file == "/env/agent.pem");
  CHECK(tls->key_file == "/env/agent.key");

  // Flags win, and the pair is never mixed across the two sources.
  options.ca_file = "/flag/ca.pem";
  options.cert_file = "/flag/admin.pem";
  options.key_file = "/flag/admin.key";
  tls = ResolveTls(options);
  REQUIRE(tls.ok());
  CHECK(tls->ca_file == "/flag/ca.pem");
  CHECK(tls->cert_file == "/flag/admin.pem");
  CHECK(tls->key_file == "/flag/admin.key");
  options.key_file.clear();
  CHECK_THAT(std::string(ResolveTls(options).status().message()),
             Catch::Contains("pass --key FILE with --cert"));
  ClearTlsEnvironment();
}

TEST_CASE("a client certificate needs its key and a CA", "[cli_agent]") {
  ClearTlsEnvironment();
  ServerOptions options;
  options.key_file = "k.pem";
  CHECK_THAT(std::string(ResolveTls(options).status().message()),
             Catch::Contains("pass --cert FILE with --key"));
  options.cert_file = "c.pem";
  absl::Status status = ResolveTls(options).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(status.message()), Catch::Contains("pass --ca FILE"));
  // Also through MakeChannel, before anything is read or dialled.
  CHECK(MakeChannel(options).status().code() == absl::StatusCode::kInvalidArgument);
  setenv("BOOTGATE_CERT", "c.pem", 1);
  CHECK_THAT(std::string(ResolveTls(ServerOptions()).status().message()),
             Catch::Contains("pass --key FILE with --cert"));
  ClearTlsEnvironment();
}

TEST_CASE("a usable client certificate makes a TLS channel; a wrong file is named", "[cli_agent]") {
  ClearTlsEnvironment();
  TempDir dir;
  const Identity server = MakeIdentity("bootgated");
  const Identity agent = MakeIdentity("host-a");
  const Identity other = MakeIdentity("host-b");
  ServerOptions options;
  options.address = "bootgate.example:7443";
  options.ca_file = dir.Write("ca.pem", server.cert_pem);
  options.cert_file = dir.Write("agent.pem", agent.cert_pem);
  options.key_file = dir.Write("agent.key", agent.key_pem);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(options);
  REQUIRE(channel.ok());
  CHECK(*channel != nullptr);

  options.key_file = dir.Write("other.key", other.key_pem);
  absl::Status status = MakeChannel(options).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(status.message()), Catch::Contains("is not the key of the certificate"));

  options.key_file = dir.Write("not-a-key.pem", agent.cert_pem);
  CHECK_THAT(std::string(MakeChannel(options).status().message()),
             Catch::Contains("no unencrypted PEM private key"));
  options.key_file = dir.Write("agent.key", agent.key_pem);
  options.cert_file = dir.Write("not-a-cert.pem", agent.key_pem);
  CHECK_THAT(std::string(MakeChannel(options).status().message()),
             Catch::Contains("no PEM certificate"));
  options.cert_file = dir.Write("agent.pem", agent.cert_pem);
  options.ca_file = "/nonexistent/ca.pem";
  CHECK_FALSE(MakeChannel(options).ok());
}

}  // namespace
}  // namespace bootgate::cli
