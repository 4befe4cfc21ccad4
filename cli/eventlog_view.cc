#include "cli/eventlog_view.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "verifier/bytes/hex.h"
#include "verifier/eventlog/event_types.h"

namespace bootgate::cli {
namespace {

namespace el = eventlog;

constexpr size_t kShortDigestBytes = 4;

struct Column {
  uint16_t alg_id;
  std::string name;
};

std::vector<Column> DigestColumns(const el::EventLog& log) {
  std::vector<Column> out;
  if (log.format == el::LogFormat::kSha1Legacy) {
    out.push_back({static_cast<uint16_t>(crypto::HashAlg::kSha1), "sha1"});
    return out;
  }
  for (const el::SpecIdAlgorithm& a : log.spec_id.algorithms) {
    out.push_back({a.alg_id, a.alg.has_value() ? std::string(crypto::HashAlgName(*a.alg))
                                               : absl::StrFormat("0x%04x", a.alg_id)});
  }
  return out;
}

std::string ShortDigest(const el::Event& event, uint16_t alg_id) {
  for (const el::EventDigest& d : event.digests) {
    if (d.alg_id != alg_id) continue;
    return bytes::ToHex(std::span(d.digest).first(std::min(d.digest.size(), kShortDigestBytes)));
  }
  return "-";
}

std::string Header(const el::EventLog& log, const std::vector<Column>& columns) {
  std::string banks;
  for (const Column& c : columns) absl::StrAppend(&banks, banks.empty() ? "" : " ", c.name);
  if (log.format == el::LogFormat::kSha1Legacy) {
    return absl::StrCat("SHA-1 legacy log, ", log.events.size(), " events\n");
  }
  const el::SpecId& s = log.spec_id;
  return absl::StrFormat(
      "crypto-agile log, %u events; Spec ID: platform class %u, spec %u.%u errata %u, "
      "uintn size %u, banks %s\n",
      log.events.size(), s.platform_class, s.spec_version_major, s.spec_version_minor,
      s.spec_errata, s.uintn_size, banks);
}

}  // namespace

absl::StatusOr<EventlogView> MakeEventlogView(std::span<const uint8_t> bytes) {
  absl::StatusOr<el::EventLog> log = el::ParseEventLog(bytes);
  if (!log.ok()) return log.status();
  EventlogView view{*std::move(log), {}, absl::UnknownError("not replayed")};
  view.decoded.reserve(view.log.events.size());
  for (const el::Event& event : view.log.events) view.decoded.push_back(el::DecodeEvent(event));
  view.replay = el::Replay(view.log);
  return view;
}

std::string EventlogToTable(const EventlogView& view) {
  const std::vector<Column> columns = DigestColumns(view.log);
  std::string out = Header(view.log, columns);
  absl::StrAppendFormat(&out, "%5s %4s  %-32s", "#", "PCR", "type");
  for (const Column& c : columns) absl::StrAppendFormat(&out, " %-8s", c.name);
  absl::StrAppendFormat(&out, " %-13s %s\n", "data", "summary");
  for (size_t i = 0; i < view.log.events.size(); ++i) {
    const el::Event& e = view.log.events[i];
    const el::DecodedEvent& d = view.decoded[i];
    absl::StrAppendFormat(&out, "%5u %4u  %-32s", e.index, e.pcr, el::EventTypeName(e.type));
    for (const Column& c : columns) absl::StrAppendFormat(&out, " %-8s", ShortDigest(e, c.alg_id));
    // A summary comes from untrusted data: keep it on one line.
    std::string summary = absl::StrReplaceAll(d.summary, {{"\n", " "}, {"\r", " "}});
    if (!d.decode_error.empty()) absl::StrAppend(&summary, " [", d.decode_error, "]");
    absl::StrAppendFormat(&out, " %-13s %s\n", el::DataCheckName(d.data_check.overall), summary);
  }
  if (view.log.padding_size > 0) {
    absl::StrAppendFormat(&out, "(%u bytes of 0x%02x padding after the last event)\n",
                          view.log.padding_size, view.log.padding_byte);
  }
  if (!view.replay.ok()) return out;

  const el::ReplayResult& r = *view.replay;
  absl::StrAppend(&out, "\nReplayed PCRs (PCRs no event extended are not shown");
  if (r.startup_locality.has_value()) {
    absl::StrAppend(&out, "; StartupLocality ", *r.startup_locality, " set PCR 0's start");
  }
  absl::StrAppend(&out, "):\n");
  for (const auto& [bank, values] : r.pcrs) {
    absl::StrAppend(&out, crypto::HashAlgName(bank), ":\n");
    for (const auto& [pcr, value] : values) {
      if (r.fed_by[pcr].empty() && !(pcr == 0 && r.startup_locality.has_value())) continue;
      absl::StrAppendFormat(&out, "  %2u: %s\n", pcr, bytes::ToHex(value));
    }
  }
  for (uint16_t alg_id : r.skipped_alg_ids) {
    absl::StrAppendFormat(&out, "bank 0x%04x not replayed: algorithm unknown to bootgate\n",
                          alg_id);
  }
  return out;
}

}  // namespace bootgate::cli
