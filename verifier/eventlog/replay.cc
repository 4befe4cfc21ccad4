#include "verifier/eventlog/replay.h"

#include <openssl/evp.h>

#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "verifier/crypto/openssl_ptr.h"
#include "verifier/eventlog/event_types.h"

namespace bootgate::eventlog {
namespace {

// "StartupLocality" and its NUL, then one locality byte (TCG PC Client PFP 10.4.5.3).
constexpr char kStartupLocalitySignature[] = "StartupLocality";
constexpr size_t kStartupLocalitySignatureSize = sizeof(kStartupLocalitySignature);  // 16
constexpr size_t kStartupLocalityEventSize = kStartupLocalitySignatureSize + 1;

// PCRs 17-22 (dynamic root of trust) reset to all ones at TPM2_Startup; only a dynamic launch
// sets them to zero (TCG PC Client Platform TPM Profile, PCR initial values).
constexpr uint32_t kFirstDrtmPcr = 17;
constexpr uint32_t kLastDrtmPcr = 22;

// One bank being replayed. PCR values live in fixed arrays and are extended in place, and each
// bank has its own context (switching a context between algorithms makes OpenSSL rebuild it),
// so the per-event work is hashing only.
struct Bank {
  crypto::HashAlg alg;
  uint16_t alg_id;
  size_t size;
  const EVP_MD* md;
  crypto::EvpMdCtxPtr ctx;
  std::array<std::array<uint8_t, EVP_MAX_MD_SIZE>, crypto::kPcrCount> pcrs{};
};

absl::Status ExtendInPlace(Bank& bank, uint8_t* pcr, std::span<const uint8_t> digest) {
  unsigned int out_len = 0;
  if (EVP_DigestInit_ex(bank.ctx.get(), bank.md, nullptr) != 1 ||
      EVP_DigestUpdate(bank.ctx.get(), pcr, bank.size) != 1 ||
      EVP_DigestUpdate(bank.ctx.get(), digest.data(), digest.size()) != 1 ||
      EVP_DigestFinal_ex(bank.ctx.get(), pcr, &out_len) != 1 || out_len != bank.size) {
    return absl::InternalError(absl::StrCat(crypto::HashAlgName(bank.alg), " extend failed"));
  }
  return absl::OkStatus();
}

std::string Describe(const Event& event) {
  return absl::StrFormat("event %u (%s, PCR %u)", event.index, EventTypeName(event.type),
                         event.pcr);
}

absl::StatusOr<std::vector<Bank>> MakeBanks(const EventLog& log, ReplayResult& result) {
  std::vector<std::pair<crypto::HashAlg, uint16_t>> algs;
  if (log.format == LogFormat::kSha1Legacy) {
    algs.emplace_back(crypto::HashAlg::kSha1, static_cast<uint16_t>(crypto::HashAlg::kSha1));
  } else {
    for (const SpecIdAlgorithm& a : log.spec_id.algorithms) {
      if (a.alg.has_value()) {
        algs.emplace_back(*a.alg, a.alg_id);
      } else {
        result.skipped_alg_ids.push_back(a.alg_id);
      }
    }
  }
  std::vector<Bank> banks;
  banks.reserve(algs.size());
  for (const auto& [alg, alg_id] : algs) {
    const EVP_MD* md = crypto::EvpMd(alg);
    if (md == nullptr) {
      return absl::UnimplementedError(absl::StrCat("the log declares ", crypto::HashAlgName(alg),
                                                   ", which this OpenSSL cannot compute"));
    }
    crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (ctx == nullptr) return absl::InternalError("EVP_MD_CTX_new failed");
    Bank& bank = banks.emplace_back(Bank{alg, alg_id, crypto::DigestSize(alg), md, std::move(ctx)});
    for (uint32_t pcr = kFirstDrtmPcr; pcr <= kLastDrtmPcr; ++pcr) bank.pcrs[pcr].fill(0xFF);
  }
  return banks;
}

const EventDigest* FindDigest(const Event& event, uint16_t alg_id) {
  for (const EventDigest& d : event.digests) {
    if (d.alg_id == alg_id) return &d;
  }
  return nullptr;
}

}  // namespace

bool IsStartupLocalityEvent(const Event& event, uint8_t& locality) {
  if (event.type != kEvNoAction || event.data.size() != kStartupLocalityEventSize ||
      std::memcmp(event.data.data(), kStartupLocalitySignature, kStartupLocalitySignatureSize) !=
          0) {
    return false;
  }
  locality = event.data.back();
  return true;
}

absl::StatusOr<ReplayResult> Replay(const EventLog& log) {
  ReplayResult result;
  absl::StatusOr<std::vector<Bank>> made = MakeBanks(log, result);
  if (!made.ok()) return made.status();
  std::vector<Bank>& banks = *made;

  bool pcr0_extended = false;
  for (const Event& event : log.events) {
    if (event.type == kEvNoAction) {
      uint8_t locality = 0;
      // Only the signature decides what the event is; a StartupLocality-looking event of the
      // wrong size is malformed rather than ignored, since it would change PCR 0's start.
      const bool has_signature = event.data.size() >= kStartupLocalitySignatureSize &&
                                 std::memcmp(event.data.data(), kStartupLocalitySignature,
                                             kStartupLocalitySignatureSize) == 0;
      if (!has_signature) continue;
      if (!IsStartupLocalityEvent(event, locality) || event.pcr != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            Describe(event), ": malformed StartupLocality event (want PCR 0 and ",
            kStartupLocalityEventSize, " bytes of data, got ", event.data.size(), ")"));
      }
      if (result.startup_locality.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat(Describe(event), ": a second StartupLocality event"));
      }
      if (pcr0_extended) {
        return absl::InvalidArgumentError(
            absl::StrCat(Describe(event), ": StartupLocality after PCR 0 was extended"));
      }
      result.startup_locality = locality;
      for (Bank& bank : banks) bank.pcrs[0][bank.size - 1] = locality;
      continue;
    }
    if (event.pcr >= crypto::kPcrCount) {
      return absl::InvalidArgumentError(
          absl::StrCat(Describe(event), ": claims PCR ", event.pcr, ", but only PCRs 0-23 exist"));
    }
    for (Bank& bank : banks) {
      const EventDigest* d = FindDigest(event, bank.alg_id);
      if (d == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(Describe(event), ": no ", crypto::HashAlgName(bank.alg),
                         " digest, though the log declares that bank"));
      }
      if (d->digest.size() != bank.size) {
        return absl::InvalidArgumentError(
            absl::StrCat(Describe(event), ": ", crypto::HashAlgName(bank.alg), " digest has ",
                         d->digest.size(), " bytes, want ", bank.size));
      }
      if (absl::Status s = ExtendInPlace(bank, bank.pcrs[event.pcr].data(), d->digest); !s.ok()) {
        return s;
      }
    }
    if (event.pcr == 0) pcr0_extended = true;
    result.fed_by[event.pcr].push_back(event.index);
  }

  for (const Bank& bank : banks) {
    std::map<uint32_t, crypto::Digest>& out = result.pcrs[bank.alg];
    for (uint32_t pcr = 0; pcr < crypto::kPcrCount; ++pcr) {
      out[pcr].assign(bank.pcrs[pcr].begin(), bank.pcrs[pcr].begin() + bank.size);
    }
  }
  return result;
}

}  // namespace bootgate::eventlog
