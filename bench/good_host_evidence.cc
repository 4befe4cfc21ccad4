#include "bench/good_host_evidence.h"

#include <tss2/tss2_tpm2_types.h>

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/unit/tpm/quote_builder.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/hash.h"
#include "verifier/eventlog/parse.h"
#include "verifier/eventlog/replay.h"
#include "verifier/policy/load.h"
#include "verifier/tpm/pcr_digest.h"

namespace bootgate::bench {
namespace {

namespace tt = tpm::testing;

absl::StatusOr<std::vector<uint8_t>> ReadBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

absl::StatusOr<AkKind> ParseAkKind(const std::string& name) {
  if (name == "rsa") return AkKind::kRsa2048;
  if (name == "ecc") return AkKind::kEcdsaP256;
  return absl::InvalidArgumentError(absl::StrCat("unknown AK kind \"", name, "\": rsa or ecc"));
}

const char* AkKindName(AkKind kind) { return kind == AkKind::kRsa2048 ? "rsa-2048" : "ecdsa-p256"; }

absl::StatusOr<GoodHostEvidence> GoodHostEvidence::Load(const std::string& bundle_dir,
                                                        AkKind kind) {
  GoodHostEvidence e;
  e.kind_ = kind;
  ASSIGN_OR_RETURN(e.log_, ReadBytes(bundle_dir + "/eventlog.bin"));
  ASSIGN_OR_RETURN(std::vector<uint8_t> message, ReadBytes(bundle_dir + "/quote.msg"));
  ASSIGN_OR_RETURN(std::vector<uint8_t> meta_bytes, ReadBytes(bundle_dir + "/meta.json"));
  const nlohmann::json meta = nlohmann::json::parse(meta_bytes.begin(), meta_bytes.end(), nullptr,
                                                    /*allow_exceptions=*/false);
  if (!meta.is_object() || !meta.contains("nonce") || !meta.contains("host_id")) {
    return absl::InvalidArgumentError(bundle_dir + "/meta.json lacks nonce or host_id");
  }
  ASSIGN_OR_RETURN(e.bundle_nonce_, bytes::FromHex(meta["nonce"].get<std::string>()));
  e.bundle_host_ = meta["host_id"].get<std::string>();

  ASSIGN_OR_RETURN(e.template_, tpm::DecodeQuote(message));
  ASSIGN_OR_RETURN(eventlog::EventLog log, eventlog::ParseEventLog(e.log_));
  ASSIGN_OR_RETURN(eventlog::ReplayResult replayed, eventlog::Replay(log));
  // The bundle's real quote proves the replayed values are the ones its TPM held: refuse to
  // benchmark a log that would not verify.
  RETURN_IF_ERROR(tpm::CheckPcrDigest(e.template_, crypto::HashAlg::kSha256, replayed.pcrs));
  ASSIGN_OR_RETURN(
      e.template_.pcr_digest,
      tpm::ComputePcrDigest(crypto::HashAlg::kSha256, e.template_.pcr_selection, replayed.pcrs));

  e.ak_ = kind == AkKind::kRsa2048 ? tt::NewRsaKey(2048) : tt::NewEcKey("prime256v1");
  e.ak_name_ = TpmName(e.ak_.get());
  return e;
}

std::vector<uint8_t> GoodHostEvidence::TpmName(EVP_PKEY* ak) {
  const std::vector<uint8_t> tpmt_public = tt::TpmPublic(ak, /*tpm2b=*/false);
  std::vector<uint8_t> name = {0x00, 0x0b};
  // SHA-256 of a few hundred bytes in memory: only an OpenSSL failure makes it fail.
  const absl::StatusOr<crypto::Digest> hash = crypto::Hash(crypto::HashAlg::kSha256, tpmt_public);
  if (hash.ok()) name.insert(name.end(), hash->begin(), hash->end());
  return name;
}

std::vector<uint8_t> GoodHostEvidence::QuoteMessage(std::span<const uint8_t> signer_name,
                                                    std::span<const uint8_t> nonce,
                                                    uint64_t clock_ms) const {
  tt::AttestFields fields;
  fields.signer.assign(signer_name.begin(), signer_name.end());
  fields.nonce.assign(nonce.begin(), nonce.end());
  fields.clock = clock_ms;
  fields.reset_count = template_.clock_info.reset_count;
  fields.restart_count = template_.clock_info.restart_count;
  fields.safe = template_.clock_info.safe ? 1 : 0;
  fields.firmware = template_.firmware_version;
  fields.selection.clear();
  for (const tpm::PcrBankSelection& bank : template_.pcr_selection) {
    fields.selection.emplace_back(static_cast<uint16_t>(bank.bank), bank.pcrs);
  }
  fields.pcr_digest = template_.pcr_digest;
  return tt::MarshalAttest(fields);
}

SignedQuote GoodHostEvidence::SignAs(EVP_PKEY* ak, std::span<const uint8_t> signer_name,
                                     std::span<const uint8_t> nonce, uint64_t clock_ms) const {
  SignedQuote q;
  q.message = QuoteMessage(signer_name, nonce, clock_ms);
  q.signature = tt::SignTpm(ak, EVP_PKEY_is_a(ak, "RSA") ? TPM2_ALG_RSASSA : TPM2_ALG_ECDSA,
                            TPM2_ALG_SHA256, q.message);
  return q;
}

SignedQuote GoodHostEvidence::Sign(std::span<const uint8_t> nonce, uint64_t clock_ms) const {
  return SignAs(ak_.get(), ak_name_, nonce, clock_ms);
}

std::string GoodHostEvidence::AkPem() const {
  const std::vector<uint8_t> pem = tt::PemPublic(ak_.get());
  return std::string(pem.begin(), pem.end());
}

absl::StatusOr<bootgate::v1::Policy> ReadPolicyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> text, ReadBytes(path));
  const bool json = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  return policy::LoadPolicy(std::string(text.begin(), text.end()),
                            json ? policy::PolicyFormat::kJson : policy::PolicyFormat::kTextproto,
                            path);
}

}  // namespace bootgate::bench
