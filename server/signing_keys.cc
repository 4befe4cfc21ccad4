#include "server/signing_keys.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "server/jwks.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::server {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxKeyFileBytes = 64 * 1024;

absl::StatusOr<SigningKey> FromPkey(crypto::EvpPkeyPtr pkey) {
  ASSIGN_OR_RETURN(const nlohmann::json members, P256RequiredMembers(pkey.get()));
  ASSIGN_OR_RETURN(std::string kid, JwkThumbprint(members));
  return SigningKey{std::move(pkey), std::move(kid)};
}

absl::StatusOr<std::string> WritePem(const SigningKey& key, bool private_key) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return absl::InternalError("BIO_new failed");
  const int ok = private_key ? PEM_write_bio_PrivateKey(bio.get(), key.key.get(), nullptr, nullptr,
                                                        0, nullptr, nullptr)
                             : PEM_write_bio_PUBKEY(bio.get(), key.key.get());
  if (ok != 1) return absl::InternalError("PEM encoding failed");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  if (size <= 0 || data == nullptr) return absl::InternalError("PEM encoding failed");
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<std::string> ReadKeyFile(const fs::path& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return absl::InternalError(absl::StrCat(path.string(), ": ", ec.message()));
  if (size > kMaxKeyFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), ": too large for a key file"));
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (!in.good() && !in.eof())
    return absl::InternalError(absl::StrCat(path.string(), ": read failed"));
  return buffer.str();
}

absl::StatusOr<SigningKey> LoadKeyFile(const fs::path& path) {
  ASSIGN_OR_RETURN(const std::string pem, ReadKeyFile(path));
  absl::StatusOr<SigningKey> key = SigningKeyFromPem(pem);
  if (!key.ok()) {
    return absl::Status(key.status().code(),
                        absl::StrCat(path.string(), ": ", key.status().message()));
  }
  return key;
}

// Writes via a temporary file and rename, so a crash never leaves a half-written key.
absl::Status WriteFileAtomically(const fs::path& path, const std::string& data, fs::perms perms) {
  const fs::path tmp = fs::path(path).concat(".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::InternalError(absl::StrCat(tmp.string(), ": cannot create"));
    std::error_code ec;
    fs::permissions(tmp, perms, ec);
    if (ec) return absl::InternalError(absl::StrCat(tmp.string(), ": ", ec.message()));
    out << data;
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat(tmp.string(), ": write failed"));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat(path.string(), ": ", ec.message()));
  return absl::OkStatus();
}

absl::Status EnsurePrivateDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(dir.string(), ": ", ec.message()));
  fs::permissions(dir, fs::perms::owner_all, ec);
  if (ec) return absl::InternalError(absl::StrCat(dir.string(), ": ", ec.message()));
  return absl::OkStatus();
}

constexpr fs::perms kPrivateFile = fs::perms::owner_read | fs::perms::owner_write;
constexpr fs::perms kPublicFile = kPrivateFile | fs::perms::group_read | fs::perms::others_read;

}  // namespace

bool HasPrivatePart(const EVP_PKEY* key) {
  BIGNUM* raw = nullptr;
  if (key == nullptr || EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1) {
    ERR_clear_error();
    return false;
  }
  BN_clear_free(raw);
  return true;
}

absl::StatusOr<SigningKey> GenerateSigningKey() {
  crypto::EvpPkeyPtr pkey(EVP_EC_gen("P-256"));
  if (pkey == nullptr) return absl::InternalError("EC P-256 key generation failed");
  return FromPkey(std::move(pkey));
}

absl::StatusOr<SigningKey> SigningKeyFromPem(absl::string_view pem) {
  if (pem.size() > kMaxKeyFileBytes) return absl::InvalidArgumentError("PEM too large");
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::InternalError("BIO_new_mem_buf failed");
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) {
    ERR_clear_error();
    crypto::BioPtr again(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (again == nullptr) return absl::InternalError("BIO_new_mem_buf failed");
    raw = PEM_read_bio_PUBKEY(again.get(), nullptr, nullptr, nullptr);
  }
  if (raw == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("not a PEM private or public key");
  }
  return FromPkey(crypto::EvpPkeyPtr(raw));
}

absl::StatusOr<std::string> PrivateKeyPem(const SigningKey& key) {
  if (!HasPrivatePart(key.key.get())) {
    return absl::FailedPreconditionError(absl::StrCat("key ", key.kid, " has no private part"));
  }
  return WritePem(key, /*private_key=*/true);
}

absl::StatusOr<std::string> PublicKeyPem(const SigningKey& key) {
  return WritePem(key, /*private_key=*/false);
}

absl::StatusOr<KeySet> KeySet::Create(SigningKey active, std::vector<SigningKey> retired) {
  if (active.key == nullptr || !HasPrivatePart(active.key.get())) {
    return absl::InvalidArgumentError("the active signing key needs its private part");
  }
  std::vector<SigningKey> keys;
  keys.push_back(std::move(active));
  for (SigningKey& key : retired) keys.push_back(std::move(key));
  std::set<std::string> kids;
  for (const SigningKey& key : keys) {
    if (!kids.insert(key.kid).second) {
      return absl::InvalidArgumentError(absl::StrCat("signing key ", key.kid, " listed twice"));
    }
  }
  return KeySet(std::move(keys));
}

const SigningKey* KeySet::Find(absl::string_view kid) const {
  for (const SigningKey& key : keys_) {
    if (key.kid == kid) return &key;
  }
  return nullptr;
}

absl::StatusOr<KeySet> LoadOrCreateKeySet(const std::string& dir) {
  const fs::path root(dir);
  const fs::path active_path = root / "active.pem";
  RETURN_IF_ERROR(EnsurePrivateDir(root));
  std::error_code ec;
  if (!fs::exists(active_path, ec)) {
    ASSIGN_OR_RETURN(SigningKey generated, GenerateSigningKey());
    ASSIGN_OR_RETURN(const std::string pem, PrivateKeyPem(generated));
    RETURN_IF_ERROR(WriteFileAtomically(active_path, pem, kPrivateFile));
  }
  ASSIGN_OR_RETURN(SigningKey active, LoadKeyFile(active_path));
  std::vector<SigningKey> retired;
  const fs::path retired_dir = root / "retired";
  if (fs::is_directory(retired_dir, ec)) {
    std::vector<fs::path> files;
    for (const fs::directory_entry& entry : fs::directory_iterator(retired_dir, ec)) {
      if (entry.path().extension() == ".pem") files.push_back(entry.path());
    }
    if (ec) return absl::InternalError(absl::StrCat(retired_dir.string(), ": ", ec.message()));
    std::sort(files.begin(), files.end());  // a stable JWKS order across replicas
    for (const fs::path& file : files) {
      ASSIGN_OR_RETURN(SigningKey key, LoadKeyFile(file));
      if (key.kid != active.kid) retired.push_back(std::move(key));
    }
  }
  return KeySet::Create(std::move(active), std::move(retired));
}

absl::StatusOr<std::string> RotateKeys(const std::string& dir) {
  ASSIGN_OR_RETURN(const KeySet current, LoadOrCreateKeySet(dir));
  const fs::path root(dir);
  const fs::path retired_dir = root / "retired";
  RETURN_IF_ERROR(EnsurePrivateDir(retired_dir));
  ASSIGN_OR_RETURN(const std::string old_public, PublicKeyPem(current.active()));
  // Retire first: if the process dies between the two writes, the old key stays active and
  // is also listed as retired, which LoadOrCreateKeySet tolerates.
  RETURN_IF_ERROR(
      WriteFileAtomically(retired_dir / (current.active().kid + ".pem"), old_public, kPublicFile));
  ASSIGN_OR_RETURN(SigningKey next, GenerateSigningKey());
  ASSIGN_OR_RETURN(const std::string pem, PrivateKeyPem(next));
  RETURN_IF_ERROR(WriteFileAtomically(root / "active.pem", pem, kPrivateFile));
  return next.kid;
}

}  // namespace bootgate::server
