// Verdict signing keys (ES256: ECDSA on P-256 with SHA-256) and their rotation.
//
// A KeySet has one active key that signs new verdicts and any number of retired keys that
// are still published (JWKS) so verdicts signed before a rotation keep verifying. Every key
// is named by its kid, the RFC 7638 JWK thumbprint (base64url SHA-256), so the kid is a
// function of the key and replicas sharing the key files agree on it without coordination.
//
// On disk (LoadOrCreateKeySet / RotateKeys): <dir>/active.pem (PKCS#8 private key) and
// <dir>/retired/<kid>.pem (public keys, SubjectPublicKeyInfo).
#ifndef BOOTGATE_SERVER_SIGNING_KEYS_H_
#define BOOTGATE_SERVER_SIGNING_KEYS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::server {

struct SigningKey {
  crypto::EvpPkeyPtr key;  // EC P-256; private part present only for an active key
  std::string kid;         // RFC 7638 thumbprint of the public key
};

// True when `key` holds its private part (it can sign).
bool HasPrivatePart(const EVP_PKEY* key);

// Returns a new random P-256 key. Internal when OpenSSL fails.
absl::StatusOr<SigningKey> GenerateSigningKey();

// Parses a PEM private key (PKCS#8 or SEC1 "EC PRIVATE KEY") or public key (SPKI).
// InvalidArgument when it is not PEM or not an EC P-256 key.
absl::StatusOr<SigningKey> SigningKeyFromPem(absl::string_view pem);

// PEM encodings: PKCS#8 private key (FailedPrecondition for a public-only key) and SPKI.
absl::StatusOr<std::string> PrivateKeyPem(const SigningKey& key);
absl::StatusOr<std::string> PublicKeyPem(const SigningKey& key);

class KeySet {
 public:
  // InvalidArgument when `active` has no private key or two keys share a kid.
  static absl::StatusOr<KeySet> Create(SigningKey active, std::vector<SigningKey> retired);

  const SigningKey& active() const { return keys_.front(); }
  // Every key, active first: what the JWKS lists and what verifies.
  const std::vector<SigningKey>& keys() const { return keys_; }
  // The key with this kid, or nullptr.
  const SigningKey* Find(absl::string_view kid) const;

 private:
  explicit KeySet(std::vector<SigningKey> keys) : keys_(std::move(keys)) {}
  std::vector<SigningKey> keys_;
};

// Loads <dir>/active.pem and <dir>/retired/*.pem; generates active.pem (mode 0600, directory
// created 0700) when it is missing. InvalidArgument for a key file that does not parse (the
// message names the file); Internal for I/O failures.
absl::StatusOr<KeySet> LoadOrCreateKeySet(const std::string& dir);

// Moves the active key's public half to <dir>/retired/<kid>.pem and writes a new active key.
// Replicas pick the new key up when they reload the directory. Returns the new kid.
absl::StatusOr<std::string> RotateKeys(const std::string& dir);

}  // namespace bootgate::server

#endif  // BOOTGATE_SERVER_SIGNING_KEYS_H_
