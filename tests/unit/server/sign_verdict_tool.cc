// Not a test by itself: writes verdict JWTs and the JWKS that verifies them into a directory,
// for tests/integration/jwt_python_test.sh to check with an independent JWT implementation.
//
//   sign_verdict_tool OUT_DIR
// writes OUT_DIR/keys/ (the signing key directory), OUT_DIR/old.jwt (signed, then the keys
// are rotated), OUT_DIR/verdict.jwt (signed with the new active key), OUT_DIR/jwks.json.
#include <fstream>
#include <iostream>
#include <string>

#include "absl/time/time.h"
#include "server/jwks.h"
#include "server/signing_keys.h"
#include "server/verdict_signer.h"

namespace {

using bootgate::server::KeySet;

bool Write(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return static_cast<bool>(out);
}

bootgate::appraisal::Appraisal Verdict(bool eligible) {
  bootgate::appraisal::Appraisal a;
  a.tier =
      eligible ? bootgate::appraisal::Tier::kWarning : bootgate::appraisal::Tier::kContraindicated;
  a.placement_eligible = eligible;
  a.policy_name = "fleet";
  a.policy_version = "7";
  a.issued = absl::Now();
  a.expires = a.issued + absl::Hours(1);
  bootgate::appraisal::Finding f;
  f.code = "secure-boot-disabled";
  f.layer = bootgate::appraisal::Layer::kSecureBoot;
  f.severity = bootgate::appraisal::Severity::kWarning;
  a.findings.push_back(f);
  return a;
}

int Fail(const std::string& what, const absl::Status& status) {
  std::cerr << "sign_verdict_tool: " << what << ": " << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: sign_verdict_tool OUT_DIR\n";
    return 2;
  }
  const std::string out = argv[1];
  const std::string key_dir = out + "/keys";
  const bootgate::server::VerdictSubject subject{"host-a", "att-1", std::vector<uint8_t>(32, 0x42)};

  absl::StatusOr<KeySet> before = bootgate::server::LoadOrCreateKeySet(key_dir);
  if (!before.ok()) return Fail("load keys", before.status());
  absl::StatusOr<std::string> old_jwt = SignVerdict(*before, Verdict(false), subject);
  if (!old_jwt.ok()) return Fail("sign", old_jwt.status());

  absl::StatusOr<std::string> rotated = bootgate::server::RotateKeys(key_dir);
  if (!rotated.ok()) return Fail("rotate", rotated.status());
  absl::StatusOr<KeySet> after = bootgate::server::LoadOrCreateKeySet(key_dir);
  if (!after.ok()) return Fail("reload keys", after.status());
  absl::StatusOr<std::string> jwt = SignVerdict(*after, Verdict(true), subject);
  if (!jwt.ok()) return Fail("sign", jwt.status());
  absl::StatusOr<std::string> jwks = bootgate::server::JwksJson(*after);
  if (!jwks.ok()) return Fail("jwks", jwks.status());

  if (!Write(out + "/old.jwt", *old_jwt) || !Write(out + "/verdict.jwt", *jwt) ||
      !Write(out + "/jwks.json", *jwks)) {
    std::cerr << "sign_verdict_tool: cannot write to " << out << "\n";
    return 1;
  }
  return 0;
}
