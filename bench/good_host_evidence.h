// The good-host evidence of tests/data/appraisal/good-host, re-signed by a software AK for any
// nonce: what the load generator sends per request (after Challenge) and what the in-process
// full-appraisal benchmark appraises. No TPM: a TPM on the hot path would measure swtpm, not
// bootgate. The quote keeps the bundle's PCR selection, clock and firmware fields; its pcrDigest
// is computed from replaying the bundle's event log with the verifier, so the quote and the log
// agree exactly as a real host's would.
#ifndef BOOTGATE_BENCH_GOOD_HOST_EVIDENCE_H_
#define BOOTGATE_BENCH_GOOD_HOST_EVIDENCE_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bootgate/v1/policy.pb.h"
#include "verifier/crypto/openssl_ptr.h"
#include "verifier/tpm/quote.h"

namespace bootgate::bench {

enum class AkKind { kRsa2048, kEcdsaP256 };

// "rsa" -> kRsa2048, "ecc" -> kEcdsaP256; InvalidArgument otherwise.
absl::StatusOr<AkKind> ParseAkKind(const std::string& name);
const char* AkKindName(AkKind kind);  // "rsa-2048", "ecdsa-p256"

struct SignedQuote {
  std::vector<uint8_t> message;    // TPMS_ATTEST
  std::vector<uint8_t> signature;  // TPMT_SIGNATURE
};

// Owns the bundle's event log, the quote template and a fresh software AK. Thread-compatible:
// Sign() only reads shared state and may run on many threads at once (each call makes its own
// OpenSSL signing context).
class GoodHostEvidence {
 public:
  // Reads `bundle_dir` (eventlog.bin, quote.msg, meta.json), replays the log and makes an AK.
  // Errors: NotFound for a missing file; InvalidArgument when the bundle does not parse or
  // replay, or when the PCR values from replay do not hash to the bundle's own quote digest.
  static absl::StatusOr<GoodHostEvidence> Load(const std::string& bundle_dir, AkKind kind);

  // A quote over the bundle's PCR selection with extraData = `nonce`, signed by the AK with
  // SHA-256 (RSASSA or ECDSA). `clock_ms` lets callers keep the TPM clock moving.
  SignedQuote Sign(std::span<const uint8_t> nonce, uint64_t clock_ms) const;

  // The same quote for another AK, whose TPM Name (TpmName) is `signer_name`: many hosts on
  // one boot chain (bench/fill_store.cc). QuoteMessage is the TPMS_ATTEST alone, unsigned.
  std::vector<uint8_t> QuoteMessage(std::span<const uint8_t> signer_name,
                                    std::span<const uint8_t> nonce, uint64_t clock_ms) const;
  SignedQuote SignAs(EVP_PKEY* ak, std::span<const uint8_t> signer_name,
                     std::span<const uint8_t> nonce, uint64_t clock_ms) const;
  // The TPM Name of a software AK: nameAlg SHA-256 || SHA-256 of its TPMT_PUBLIC.
  static std::vector<uint8_t> TpmName(EVP_PKEY* ak);

  const std::vector<uint8_t>& event_log() const { return log_; }
  const std::vector<uint8_t>& bundle_nonce() const { return bundle_nonce_; }  // meta.json
  const std::string& bundle_host() const { return bundle_host_; }             // meta.json
  EVP_PKEY* ak() const { return ak_.get(); }
  std::string AkPem() const;  // SubjectPublicKeyInfo PEM, what Hosts.Register takes
  AkKind kind() const { return kind_; }
  // The bundle's quote (clock info, firmware, PCR selection), pcr_digest from the replay.
  const tpm::Quote& quote_template() const { return template_; }

 private:
  GoodHostEvidence() = default;

  AkKind kind_ = AkKind::kEcdsaP256;
  crypto::EvpPkeyPtr ak_;
  std::vector<uint8_t> ak_name_;  // TPM Name: nameAlg || SHA-256(TPMT_PUBLIC)
  std::vector<uint8_t> log_;
  std::vector<uint8_t> bundle_nonce_;
  std::string bundle_host_;
  tpm::Quote template_;  // the bundle's quote, pcr_digest replaced by the replayed one
};

// Reads a policy file (textproto, or JSON when the name ends in .json). Errors as LoadPolicy;
// NotFound when the file cannot be read.
absl::StatusOr<bootgate::v1::Policy> ReadPolicyFile(const std::string& path);

}  // namespace bootgate::bench

#endif  // BOOTGATE_BENCH_GOOD_HOST_EVIDENCE_H_
