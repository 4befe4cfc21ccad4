#include "verifier/eventlog/parse.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "verifier/bytes/reader.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/eventlog/event_types.h"

namespace bootgate::eventlog {
namespace {

using bytes::ByteSpan;
using bytes::Reader;

// "Spec ID Event03" and its terminating NUL (TCG PC Client PFP, TCG_EfiSpecIdEvent).
constexpr char kSpecIdSignature[] = "Spec ID Event03";
constexpr size_t kSpecIdSignatureSize = sizeof(kSpecIdSignature);  // 16, NUL included
constexpr size_t kSha1Size = 20;
// PCRIndex, EventType, (SHA-1 digest | digest count), EventDataSize.
constexpr size_t kMinLegacyEventSize = 4 + 4 + kSha1Size + 4;
constexpr size_t kMinAgileEventSize = 4 + 4 + 4 + 4;
constexpr uint16_t kAlgSha1 = static_cast<uint16_t>(crypto::HashAlg::kSha1);

bool StartsWithSpecIdSignature(ByteSpan data) {
  return data.size() >= kSpecIdSignatureSize &&
         std::memcmp(data.data(), kSpecIdSignature, kSpecIdSignatureSize) == 0;
}

// Returns the offset where the log's trailing filler starts: the longest run of one repeated
// byte, 0x00 or 0xFF, at the end of the log. Computed once, so the padding check at each event
// boundary is O(1) (scanning forward from every boundary would be quadratic on a log of
// mostly-zero events).
size_t TrailingFillerStart(ByteSpan log, uint8_t& filler) {
  if (log.empty()) return 0;
  filler = log.back();
  if (filler != 0x00 && filler != 0xFF) return log.size();
  size_t start = log.size();
  while (start > 0 && log[start - 1] == filler) --start;
  return start;
}

class Parser {
 public:
  Parser(ByteSpan log, const ParseLimits& limits) : log_(log), limits_(limits), reader_(log) {}

  absl::StatusOr<EventLog> Run() {
    if (log_.empty()) return absl::InvalidArgumentError("event log is empty");
    if (log_.size() > limits_.max_log_size) {
      return absl::InvalidArgumentError(absl::StrCat("event log of ", log_.size(),
                                                     " bytes exceeds the limit of ",
                                                     limits_.max_log_size, " bytes"));
    }
    filler_start_ = TrailingFillerStart(log_, filler_);
    if (filler_start_ == 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("event log is only padding: %u bytes of 0x%02x", log_.size(), filler_));
    }

    EventLog out;
    Event& header = out.events.emplace_back();
    RETURN_IF_ERROR(Wrap(0, 0, ParseLegacyEvent(header)));
    if (header.pcr == 0 && header.type == kEvNoAction && StartsWithSpecIdSignature(header.data)) {
      out.format = LogFormat::kCryptoAgile;
      RETURN_IF_ERROR(ParseSpecId(header, out.spec_id));
    }

    while (!reader_.empty()) {
      const size_t offset = reader_.offset();
      const size_t min_event_size =
          out.format == LogFormat::kCryptoAgile ? kMinAgileEventSize : kMinLegacyEventSize;
      if (offset >= filler_start_ && (filler_ == 0xFF || log_.size() - offset >= min_event_size)) {
        out.padding_size = log_.size() - offset;
        out.padding_byte = filler_;
        break;
      }
      const uint32_t index = static_cast<uint32_t>(out.events.size());
      if (index >= limits_.max_events) {
        return EventError(index, offset,
                          absl::StrCat("event count exceeds the limit of ", limits_.max_events));
      }
      Event& event = out.events.emplace_back();
      event.index = index;
      event.offset = offset;
      absl::Status status = out.format == LogFormat::kCryptoAgile
                                ? ParseAgileEvent(out.spec_id, event)
                                : ParseLegacyEvent(event);
      RETURN_IF_ERROR(Wrap(index, offset, std::move(status)));
    }
    return out;
  }

 private:
  static absl::Status EventError(uint32_t index, size_t offset, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrFormat("event %u at offset 0x%x: %s", index, offset, what));
  }

  static absl::Status Wrap(uint32_t index, size_t offset, absl::Status status) {
    if (status.ok()) return status;
    return EventError(index, offset, status.message());
  }

  absl::Status ReadData(Event& event) {
    ASSIGN_OR_RETURN(const uint32_t size, reader_.U32Le("event data size"));
    if (size > limits_.max_event_data_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "event data size ", size, " exceeds the limit of ", limits_.max_event_data_size));
    }
    ASSIGN_OR_RETURN(const ByteSpan data, reader_.Bytes(size, "event data"));
    event.data.assign(data.begin(), data.end());
    return absl::OkStatus();
  }

  // TCG_PCR_EVENT: PCRIndex, EventType, SHA-1 digest, EventDataSize, Event.
  absl::Status ParseLegacyEvent(Event& event) {
    ASSIGN_OR_RETURN(event.pcr, reader_.U32Le("PCR index"));
    ASSIGN_OR_RETURN(event.type, reader_.U32Le("event type"));
    ASSIGN_OR_RETURN(const ByteSpan digest, reader_.Bytes(kSha1Size, "SHA-1 digest"));
    EventDigest& d = event.digests.emplace_back();
    d.alg_id = kAlgSha1;
    d.alg = crypto::HashAlg::kSha1;
    d.digest.assign(digest.begin(), digest.end());
    return ReadData(event);
  }

  // TCG_PCR_EVENT2: PCRIndex, EventType, TPML_DIGEST_VALUES (count, {AlgorithmId, digest}...),
  // EventSize, Event. Digest sizes come from the Spec ID header.
  absl::Status ParseAgileEvent(const SpecId& spec_id, Event& event) {
    ASSIGN_OR_RETURN(event.pcr, reader_.U32Le("PCR index"));
    ASSIGN_OR_RETURN(event.type, reader_.U32Le("event type"));
    ASSIGN_OR_RETURN(const uint32_t count, reader_.U32Le("digest count"));
    RETURN_IF_ERROR(bytes::CheckCount(count, limits_.max_digests_per_event, "digest"));
    event.digests.resize(count);
    for (EventDigest& d : event.digests) {
      const size_t digest_offset = reader_.offset();
      ASSIGN_OR_RETURN(d.alg_id, reader_.U16Le("digest algorithm"));
      const SpecIdAlgorithm* declared = nullptr;
      for (const SpecIdAlgorithm& a : spec_id.algorithms) {
        if (a.alg_id == d.alg_id) declared = &a;
      }
      if (declared == nullptr) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "digest at offset 0x%x has algorithm 0x%04x, which the Spec ID header does not "
            "declare",
            digest_offset, d.alg_id));
      }
      for (const EventDigest& earlier : event.digests) {
        if (&earlier == &d) break;
        if (earlier.alg_id == d.alg_id) {
          return absl::InvalidArgumentError(
              absl::StrFormat("digest at offset 0x%x repeats algorithm 0x%04x in one event",
                              digest_offset, d.alg_id));
        }
      }
      d.alg = declared->alg;
      ASSIGN_OR_RETURN(const ByteSpan digest, reader_.Bytes(declared->digest_size, "digest"));
      d.digest.assign(digest.begin(), digest.end());
    }
    return ReadData(event);
  }

  // TCG_EfiSpecIdEvent, the data of the header event.
  absl::Status ParseSpecId(const Event& header, SpecId& spec_id) {
    // The data starts after PCRIndex, EventType, digest and EventDataSize.
    Reader r(header.data, header.offset + 4 + 4 + kSha1Size + 4);
    auto fail = [](const absl::Status& status) {
      return EventError(0, 0, absl::StrCat("Spec ID header: ", status.message()));
    };
    absl::Status status = [&]() -> absl::Status {
      RETURN_IF_ERROR(r.Skip(kSpecIdSignatureSize, "signature"));
      ASSIGN_OR_RETURN(spec_id.platform_class, r.U32Le("platform class"));
      ASSIGN_OR_RETURN(spec_id.spec_version_minor, r.U8("spec version minor"));
      ASSIGN_OR_RETURN(spec_id.spec_version_major, r.U8("spec version major"));
      ASSIGN_OR_RETURN(spec_id.spec_errata, r.U8("spec errata"));
      ASSIGN_OR_RETURN(spec_id.uintn_size, r.U8("uintn size"));
      ASSIGN_OR_RETURN(const uint32_t count, r.U32Le("algorithm count"));
      if (count == 0) return r.Error("declares no algorithms");
      RETURN_IF_ERROR(bytes::CheckCount(count, limits_.max_digests_per_event, "algorithm"));
      spec_id.algorithms.resize(count);
      for (SpecIdAlgorithm& a : spec_id.algorithms) {
        ASSIGN_OR_RETURN(a.alg_id, r.U16Le("algorithm id"));
        ASSIGN_OR_RETURN(a.digest_size, r.U16Le("digest size"));
        for (const SpecIdAlgorithm& earlier : spec_id.algorithms) {
          if (&earlier == &a) break;
          if (earlier.alg_id == a.alg_id) {
            return r.Error(absl::StrFormat("algorithm 0x%04x declared twice", a.alg_id));
          }
        }
        a.alg = crypto::HashAlgFromTpmId(a.alg_id);
        if (a.alg.has_value() && a.digest_size != crypto::DigestSize(*a.alg)) {
          return r.Error(absl::StrFormat("%s declared with digest size %u, want %u",
                                         crypto::HashAlgName(*a.alg), a.digest_size,
                                         crypto::DigestSize(*a.alg)));
        }
        if (!a.alg.has_value() && (a.digest_size == 0 || a.digest_size > kMaxUnknownDigestSize)) {
          return r.Error(absl::StrFormat("algorithm 0x%04x declared with digest size %u", a.alg_id,
                                         a.digest_size));
        }
      }
      ASSIGN_OR_RETURN(const uint8_t vendor_size, r.U8("vendor info size"));
      ASSIGN_OR_RETURN(const ByteSpan vendor, r.Bytes(vendor_size, "vendor info"));
      spec_id.vendor_info.assign(vendor.begin(), vendor.end());
      if (!r.empty()) {
        return r.Error(absl::StrCat(r.remaining(), " unexpected bytes after the vendor info"));
      }
      return absl::OkStatus();
    }();
    return status.ok() ? status : fail(status);
  }

  ByteSpan log_;
  const ParseLimits& limits_;
  Reader reader_;
  size_t filler_start_ = 0;
  uint8_t filler_ = 0;
};

}  // namespace

absl::string_view LogFormatName(LogFormat format) {
  switch (format) {
    case LogFormat::kSha1Legacy:
      return "sha1-legacy";
    case LogFormat::kCryptoAgile:
      return "crypto-agile";
  }
  return "unknown";
}

absl::StatusOr<EventLog> ParseEventLog(std::span<const uint8_t> bytes, const ParseLimits& limits) {
  return Parser(bytes, limits).Run();
}

}  // namespace bootgate::eventlog
