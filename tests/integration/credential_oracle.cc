// Test tool for make_credential_oracle_test.sh: runs verifier/enroll on files tpm2-tools and
// a swtpm produced, so the shell test can compare bytes and outcomes.
//
//   credential_oracle replay EK_PRIVATE_PEM AK_NAME_HEX SECRET_FILE TPM2_TOOLS_CREDENTIAL
//       The credential tpm2_makecredential -T none wrote for the EK key's TCG default public
//       area: recovers its seed with the private key and runs MakeCredentialWithSeed with that
//       seed and encrypted seed. Exit 0 when the credential blob is byte-identical.
//   credential_oracle make EK_TPM2B_PUBLIC AK_NAME_HEX SECRET_FILE OUT
//       MakeCredential (fresh seed) written as tpm2-tools does, for tpm2_activatecredential -i.
//   credential_oracle name TPM2B_PUBLIC
//       Prints the TPM Name (hex) and the AK attribute check's outcome; exit 1 if it fails.
//   credential_oracle check-ek EK_CERT EK_TPM2B_PUBLIC|- BUNDLE_PEM...
//       VerifyCertificateChain against the bundle files (now), CheckEkMatchesKey and
//       DefaultEkPublic(certificate key) == the EK public area; one line per check, exit 1 if
//       any fails.
// Exit 2 for usage and file errors.
#include <openssl/pem.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/unit/enroll/software_activate.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/reader.h"
#include "verifier/crypto/openssl_ptr.h"
#include "verifier/enroll/certificate_chain.h"
#include "verifier/enroll/make_credential.h"
#include "verifier/enroll/tpm_public.h"

namespace {

using Bytes = std::vector<uint8_t>;
using namespace bootgate;  // NOLINT: a test tool

constexpr uint32_t kToolsMagic = 0xBADCC0DE;  // tpm2-tools' file header
constexpr uint32_t kToolsVersion = 1;

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "credential_oracle: " << message << "\n";
  std::exit(2);
}

Bytes ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("cannot read " + path);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) Fail("cannot write " + path);
}

Bytes Hex(const std::string& hex) {
  auto bytes = bytes::FromHex(hex);
  if (!bytes.ok()) Fail("bad hex: " + std::string(bytes.status().message()));
  return *bytes;
}

template <typename T>
T OrFail(absl::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Fail(what + ": " + v.status().ToString());
  return *std::move(v);
}

// The TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET of a tpm2-tools credential file, each with
// its size prefix.
enroll::Credential ParseToolsCredential(const Bytes& file) {
  bytes::Reader r(file);
  if (OrFail(r.U32Be("magic"), "credential file") != kToolsMagic ||
      OrFail(r.U32Be("version"), "credential file") != kToolsVersion) {
    Fail("not a tpm2-tools credential file (header)");
  }
  enroll::Credential c;
  for (Bytes* part : {&c.credential_blob, &c.encrypted_secret}) {
    const uint16_t size = OrFail(r.U16Be("TPM2B size"), "credential file");
    const auto body = OrFail(r.Bytes(size, "TPM2B"), "credential file");
    *part = {uint8_t(size >> 8), uint8_t(size)};
    part->insert(part->end(), body.begin(), body.end());
  }
  if (!r.empty()) Fail("bytes after the credential file's two structures");
  return c;
}

Bytes ToolsCredentialFile(const enroll::Credential& c) {
  Bytes out;
  for (uint32_t v : {kToolsMagic, kToolsVersion}) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(uint8_t(v >> shift));
  }
  out.insert(out.end(), c.credential_blob.begin(), c.credential_blob.end());
  out.insert(out.end(), c.encrypted_secret.begin(), c.encrypted_secret.end());
  return out;
}

int Replay(const std::string& key_path, const std::string& name_hex, const std::string& secret_path,
           const std::string& tools_path) {
  const Bytes pem = ReadFile(key_path);
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  crypto::EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) Fail(key_path + ": not a PEM private key");
  const TPMT_PUBLIC ek = OrFail(enroll::DefaultEkPublic(key.get()), "DefaultEkPublic");
  const Bytes name = Hex(name_hex);
  const Bytes secret = ReadFile(secret_path);
  const enroll::Credential theirs = ParseToolsCredential(ReadFile(tools_path));

  const Bytes seed =
      OrFail(enroll::testing::RecoverSeed(key.get(), ek, theirs.encrypted_secret), "seed");
  const enroll::Credential ours =
      OrFail(enroll::MakeCredentialWithSeed(ek, name, secret, seed, theirs.encrypted_secret),
             "MakeCredentialWithSeed");
  if (ours.credential_blob != theirs.credential_blob) {
    std::cout << "credential_blob DIFFERS\n  tpm2-tools: " << bytes::ToHex(theirs.credential_blob)
              << "\n  bootgate:   " << bytes::ToHex(ours.credential_blob) << "\n";
    return 1;
  }
  std::cout << "credential_blob identical (" << ours.credential_blob.size() << " bytes, seed "
            << seed.size() << " bytes)\n";
  return 0;
}

int Make(const std::string& ek_path, const std::string& name_hex, const std::string& secret_path,
         const std::string& out_path) {
  const enroll::TpmPublic ek = OrFail(enroll::ParseTpmPublic(ReadFile(ek_path)), ek_path);
  const enroll::Credential c = OrFail(
      enroll::MakeCredential(ek.area, Hex(name_hex), ReadFile(secret_path)), "MakeCredential");
  WriteFile(out_path, ToolsCredentialFile(c));
  std::cout << "credential for " << name_hex << ": " << c.credential_blob.size() << " + "
            << c.encrypted_secret.size() << " bytes\n";
  return 0;
}

int Name(const std::string& path) {
  const enroll::TpmPublic pub = OrFail(enroll::ParseTpmPublic(ReadFile(path)), path);
  std::cout << bytes::ToHex(pub.name) << "\n";
  const absl::Status ak = enroll::CheckAkAttributes(pub.area);
  std::cout << "ak-attributes: " << (ak.ok() ? "ok" : ak.ToString()) << "\n";
  return ak.ok() ? 0 : 1;
}

int CheckEk(const std::string& cert_path, const std::string& ek_path,
            const std::vector<std::string>& bundle_paths) {
  enroll::TrustBundle bundle;
  for (const std::string& path : bundle_paths) {
    const Bytes pem = ReadFile(path);
    bundle.Add(
        OrFail(enroll::TrustBundle::FromPem(
                   absl::string_view(reinterpret_cast<const char*>(pem.data()), pem.size()), path),
               "bundle"));
  }
  int failures = 0;
  auto verified =
      enroll::VerifyCertificateChain(ReadFile(cert_path), bundle, absl::Now(), "EK certificate");
  if (!verified.ok()) {
    std::cout << "chain: " << verified.status().ToString() << "\n";
    return 1;
  }
  const std::string key_fingerprint = OrFail(enroll::KeyFingerprint(verified->key.get()), "fp");
  std::cout << "chain: ok subject=\"" << verified->subject << "\" cn=\"" << verified->common_name
            << "\" not_after="
            << absl::FormatTime("%Y-%m-%d", verified->not_after, absl::UTCTimeZone())
            << " cert_sha256=" << verified->fingerprint << " ek_key_sha256=" << key_fingerprint
            << "\n";

  auto default_ek = enroll::DefaultEkPublic(verified->key.get());
  if (!default_ek.ok()) {
    std::cout << "default-ek: " << default_ek.status().ToString() << "\n";
    ++failures;
  }
  if (ek_path != "-") {
    const Bytes ek_bytes = ReadFile(ek_path);
    const enroll::TpmPublic ek = OrFail(enroll::ParseTpmPublic(ek_bytes), ek_path);
    const absl::Status match = enroll::CheckEkMatchesKey(ek.area, verified->key.get());
    std::cout << "key-match: " << (match.ok() ? "ok" : match.ToString()) << "\n";
    if (!match.ok()) ++failures;
    if (default_ek.ok()) {
      const Bytes marshaled = OrFail(enroll::MarshalTpmtPublic(*default_ek), "marshal");
      const std::span<const uint8_t> theirs = std::span<const uint8_t>(ek_bytes).subspan(2);
      const bool same =
          std::equal(marshaled.begin(), marshaled.end(), theirs.begin(), theirs.end());
      std::cout << "default-ek: " << (same ? "identical" : "DIFFERS") << " (" << marshaled.size()
                << " bytes)\n";
      if (!same) ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 5 && args[0] == "replay") return Replay(args[1], args[2], args[3], args[4]);
  if (args.size() == 5 && args[0] == "make") return Make(args[1], args[2], args[3], args[4]);
  if (args.size() == 2 && args[0] == "name") return Name(args[1]);
  if (args.size() >= 4 && args[0] == "check-ek") {
    return CheckEk(args[1], args[2], std::vector<std::string>(args.begin() + 3, args.end()));
  }
  Fail(
      "usage: replay KEY NAME SECRET CRED | make EK_PUB NAME SECRET OUT | name PUB | "
      "check-ek CERT EK_PUB|- BUNDLE...");
}
