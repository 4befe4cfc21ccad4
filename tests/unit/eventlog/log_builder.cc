#include "tests/unit/eventlog/log_builder.h"

#include <cstring>
#include <stdexcept>

#include "verifier/eventlog/event_types.h"

namespace bootgate::eventlog::testing {
namespace {

constexpr uint16_t kSha1Id = static_cast<uint16_t>(crypto::HashAlg::kSha1);

std::vector<uint8_t> SpecIdData(const std::vector<HeaderAlg>& algs) {
  std::vector<uint8_t> d = Bytes("Spec ID Event03");
  d.push_back(0);
  auto put32 = [&d](uint32_t v) {
    for (int i = 0; i < 4; ++i) d.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  auto put16 = [&d](uint16_t v) {
    d.push_back(static_cast<uint8_t>(v));
    d.push_back(static_cast<uint8_t>(v >> 8));
  };
  put32(0);        // platform class: client
  d.push_back(0);  // spec version minor
  d.push_back(2);  // spec version major
  d.push_back(0);  // errata
  d.push_back(2);  // uintn size: UINT64
  put32(static_cast<uint32_t>(algs.size()));
  for (const HeaderAlg& a : algs) {
    put16(a.alg_id);
    put16(a.digest_size);
  }
  d.push_back(0);  // no vendor info
  return d;
}

}  // namespace

HeaderAlg HeaderAlg::Known(crypto::HashAlg alg) {
  return HeaderAlg{static_cast<uint16_t>(alg), static_cast<uint16_t>(crypto::DigestSize(alg))};
}

std::vector<uint8_t> Bytes(std::string_view text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

LogBuilder::LogBuilder(bool agile, std::vector<HeaderAlg> algs)
    : agile_(agile), algs_(std::move(algs)) {
  for (const HeaderAlg& a : algs_) {
    auto alg = crypto::HashAlgFromTpmId(a.alg_id);
    if (!alg.has_value()) continue;
    for (uint32_t pcr = 0; pcr < crypto::kPcrCount; ++pcr) {
      // PCRs 17-22 (DRTM) start at all ones, the others at zero.
      const uint8_t initial = pcr >= 17 && pcr <= 22 ? 0xFF : 0x00;
      expected_[*alg][pcr] = crypto::Digest(crypto::DigestSize(*alg), initial);
    }
  }
}

LogBuilder LogBuilder::CryptoAgile(std::vector<HeaderAlg> algs) {
  LogBuilder b(true, algs);
  // The header event is a legacy TCG_PCR_EVENT with a zero SHA-1 digest.
  b.agile_ = false;
  b.Raw(0, kEvNoAction, {{kSha1Id, std::vector<uint8_t>(20, 0)}}, SpecIdData(algs));
  b.agile_ = true;
  return b;
}

LogBuilder LogBuilder::CryptoAgile(std::vector<crypto::HashAlg> banks) {
  std::vector<HeaderAlg> algs;
  for (crypto::HashAlg bank : banks) algs.push_back(HeaderAlg::Known(bank));
  return CryptoAgile(std::move(algs));
}

LogBuilder LogBuilder::Legacy() {
  return LogBuilder(false, {HeaderAlg::Known(crypto::HashAlg::kSha1)});
}

std::vector<RawDigest> LogBuilder::DigestsOf(std::span<const uint8_t> data) const {
  std::vector<RawDigest> out;
  for (const HeaderAlg& a : algs_) {
    auto alg = crypto::HashAlgFromTpmId(a.alg_id);
    if (alg.has_value()) {
      out.push_back({a.alg_id, crypto::Hash(*alg, data).value()});
    } else {
      out.push_back({a.alg_id, std::vector<uint8_t>(a.digest_size, 0x5a)});
    }
  }
  return out;
}

void LogBuilder::Extend(uint32_t pcr, const std::vector<RawDigest>& digests) {
  if (pcr >= crypto::kPcrCount) return;  // no TPM has it: replay must reject the event
  for (const RawDigest& d : digests) {
    auto alg = crypto::HashAlgFromTpmId(d.alg_id);
    if (!alg.has_value()) continue;
    if (!crypto::Extend(*alg, expected_[*alg][pcr], d.digest).ok()) {
      throw std::logic_error("LogBuilder: extend failed");
    }
  }
  if (pcr == 0) pcr0_extended_ = true;
}

LogBuilder& LogBuilder::Measure(uint32_t pcr, uint32_t type, std::vector<uint8_t> data) {
  const std::vector<uint8_t> copy = data;
  return MeasureOther(pcr, type, copy, std::move(data));
}

LogBuilder& LogBuilder::MeasureOther(uint32_t pcr, uint32_t type,
                                     std::span<const uint8_t> digest_of,
                                     std::vector<uint8_t> data) {
  std::vector<RawDigest> digests = DigestsOf(digest_of);
  if (type != kEvNoAction) Extend(pcr, digests);
  return Raw(pcr, type, std::move(digests), std::move(data));
}

LogBuilder& LogBuilder::StartupLocality(uint8_t locality) {
  if (pcr0_extended_) throw std::logic_error("LogBuilder: StartupLocality after PCR 0 extends");
  for (auto& [alg, pcrs] : expected_) pcrs[0].back() = locality;
  std::vector<uint8_t> data = Bytes("StartupLocality");
  data.push_back(0);
  data.push_back(locality);
  std::vector<RawDigest> zeros;
  for (const HeaderAlg& a : algs_)
    zeros.push_back({a.alg_id, std::vector<uint8_t>(a.digest_size, 0)});
  return Raw(0, kEvNoAction, std::move(zeros), std::move(data));
}

LogBuilder& LogBuilder::Raw(uint32_t pcr, uint32_t type, std::vector<RawDigest> digests,
                            std::vector<uint8_t> data) {
  offsets_.push_back(log_.size());
  Put32(pcr);
  Put32(type);
  if (agile_) {
    Put32(static_cast<uint32_t>(digests.size()));
    for (const RawDigest& d : digests) {
      Put16(d.alg_id);
      Put(d.digest);
    }
  } else {
    if (digests.size() != 1 || digests[0].digest.size() != 20) {
      throw std::logic_error("LogBuilder: a legacy event has exactly one 20-byte digest");
    }
    Put(digests[0].digest);
  }
  Put32(static_cast<uint32_t>(data.size()));
  Put(data);
  return *this;
}

LogBuilder& LogBuilder::Trailing(std::vector<uint8_t> bytes) {
  Put(bytes);
  return *this;
}

std::vector<uint8_t> LogBuilder::Build() const { return log_; }

void LogBuilder::Put16(uint16_t v) {
  log_.push_back(static_cast<uint8_t>(v));
  log_.push_back(static_cast<uint8_t>(v >> 8));
}

void LogBuilder::Put32(uint32_t v) {
  for (int i = 0; i < 4; ++i) log_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void LogBuilder::Put(std::span<const uint8_t> bytes) {
  log_.insert(log_.end(), bytes.begin(), bytes.end());
}

}  // namespace bootgate::eventlog::testing
