// JSON rendering of an EventlogView (cli/eventlog_view.h).
#include <string>
#include <variant>

#include "absl/strings/str_format.h"
#include "cli/eventlog_view.h"
#include "verifier/bytes/hex.h"
#include "verifier/eventlog/event_types.h"

namespace bootgate::cli {
namespace {

using json = nlohmann::ordered_json;
namespace el = eventlog;

std::string AlgName(uint16_t alg_id) {
  if (auto alg = crypto::HashAlgFromTpmId(alg_id); alg.has_value()) {
    return std::string(crypto::HashAlgName(*alg));
  }
  return absl::StrFormat("0x%04x", alg_id);
}

json SignatureEntryJson(const el::SignatureEntry& entry) {
  json j = {{"owner", entry.owner.ToString()}};
  if (entry.x509.has_value()) {
    j["sha256_fingerprint"] = entry.x509->sha256_fingerprint;
    j["subject"] = entry.x509->subject;
    j["issuer"] = entry.x509->issuer;
  } else {
    j["data_hex"] = bytes::ToHex(entry.data);
  }
  return j;
}

// One JSON object per kind of decoded content; RawData gives null.
struct ContentJson {
  json operator()(const el::RawData&) const { return nullptr; }
  json operator()(const el::Separator& s) const {
    return {{"kind", "separator"}, {"value", s.value}, {"is_error", s.is_error}};
  }
  json operator()(const el::TextEvent& t) const {
    return {{"kind", "text"}, {"text", t.text}, {"utf16", t.utf16}};
  }
  json operator()(const el::FirmwareBlob& b) const {
    json j = {{"kind", "firmware_blob"}, {"base", b.base}, {"length", b.length}};
    if (b.description.has_value()) j["description"] = *b.description;
    return j;
  }
  json operator()(const el::UefiVariable& v) const {
    json j = {{"kind", "uefi_variable"},
              {"vendor", v.vendor.ToString()},
              {"name", v.name},
              {"unicode_name_length", v.unicode_name_length},
              {"variable_data_length", v.variable_data_length}};
    if (v.signature_lists.has_value()) {
      json lists = json::array();
      for (const el::SignatureList& list : *v.signature_lists) {
        json entries = json::array();
        for (const el::SignatureEntry& e : list.entries) entries.push_back(SignatureEntryJson(e));
        lists.push_back({{"type", el::SignatureTypeName(list.type)}, {"entries", entries}});
      }
      j["signature_lists"] = lists;
    } else if (v.authority.has_value()) {
      j["authority"] = SignatureEntryJson(*v.authority);
    }
    // VariableData as logged, also when it decoded, so that scripts can compare it with
    // another decoder byte for byte.
    j["data_hex"] = bytes::ToHex(v.data);
    if (!v.signature_list_error.empty()) j["signature_list_error"] = v.signature_list_error;
    return j;
  }
  json operator()(const el::ImageLoadEvent& i) const {
    json j = {{"kind", "image_load"},
              {"location", i.location},
              {"length", i.length},
              {"link_time_address", i.link_time_address},
              {"device_path_length", i.device_path_length},
              {"device_path_hex", bytes::ToHex(i.device_path_bytes)},
              {"device_path", i.device_path.text}};
    if (!i.device_path.file.empty()) j["file"] = i.device_path.file;
    if (!i.device_path.error.empty()) j["device_path_error"] = i.device_path.error;
    return j;
  }
  json operator()(const el::GptEvent& g) const {
    json parts = json::array();
    for (const el::GptPartition& p : g.partitions) {
      parts.push_back({{"type", p.type.ToString()},
                       {"unique", p.unique.ToString()},
                       {"starting_lba", p.starting_lba},
                       {"ending_lba", p.ending_lba},
                       {"name", p.name}});
    }
    return {{"kind", "gpt"}, {"disk_guid", g.disk_guid.ToString()}, {"partitions", parts}};
  }
  json operator()(const el::IplString& s) const {
    return {{"kind", "ipl"}, {"prefix", s.prefix}, {"text", s.text}, {"utf16", s.utf16}};
  }
  json operator()(const el::TaggedEvents& t) const {
    json events = json::array();
    for (const el::TaggedEvent& e : t.events) {
      json j = {{"id", e.id}, {"data_hex", bytes::ToHex(e.data)}};
      if (e.text.has_value()) j["text"] = *e.text;
      events.push_back(j);
    }
    return {{"kind", "tagged"}, {"events", events}};
  }
  json operator()(const el::NoActionEvent& n) const {
    json j = {{"kind", "no_action"}, {"signature", n.signature}};
    if (n.startup_locality.has_value()) j["startup_locality"] = *n.startup_locality;
    return j;
  }
  json operator()(const el::HandoffTables& h) const {
    json tables = json::array();
    for (const auto& t : h.tables) {
      tables.push_back({{"vendor", t.vendor.ToString()}, {"address", t.address}});
    }
    json j = {{"kind", "handoff_tables"}, {"tables", tables}};
    if (h.description.has_value()) j["description"] = *h.description;
    return j;
  }
};

json SpecIdJson(const el::SpecId& spec_id) {
  json algs = json::array();
  for (const el::SpecIdAlgorithm& a : spec_id.algorithms) {
    algs.push_back(
        {{"alg_id", a.alg_id}, {"name", AlgName(a.alg_id)}, {"digest_size", a.digest_size}});
  }
  return {{"platform_class", spec_id.platform_class},
          {"spec_version",
           absl::StrFormat("%u.%u", spec_id.spec_version_major, spec_id.spec_version_minor)},
          {"spec_errata", spec_id.spec_errata},
          {"uintn_size", spec_id.uintn_size},
          {"algorithms", algs},
          {"vendor_info_hex", bytes::ToHex(spec_id.vendor_info)}};
}

json EventJson(const el::Event& event, const el::DecodedEvent& decoded) {
  json digests = json::object();
  for (const el::EventDigest& d : event.digests)
    digests[AlgName(d.alg_id)] = bytes::ToHex(d.digest);
  json j = {{"index", event.index},
            {"offset", event.offset},
            {"pcr", event.pcr},
            {"type", event.type},
            {"type_name", el::EventTypeName(event.type)},
            {"digests", digests},
            {"data_hex", bytes::ToHex(event.data)},
            {"summary", decoded.summary},
            {"data_check", el::DataCheckName(decoded.data_check.overall)},
            {"data_check_rule", decoded.data_check.rule}};
  if (!decoded.decode_error.empty()) j["decode_error"] = decoded.decode_error;
  json content = std::visit(ContentJson{}, decoded.content);
  if (!content.is_null()) j["decoded"] = content;
  return j;
}

}  // namespace

nlohmann::ordered_json EventlogToJson(const EventlogView& view) {
  json out = {{"format", el::LogFormatName(view.log.format)}};
  out["spec_id"] =
      view.log.format == el::LogFormat::kCryptoAgile ? SpecIdJson(view.log.spec_id) : json(nullptr);
  if (view.log.padding_size > 0) {
    out["padding"] = {{"size", view.log.padding_size}, {"byte", view.log.padding_byte}};
  }
  json events = json::array();
  for (size_t i = 0; i < view.log.events.size(); ++i) {
    events.push_back(EventJson(view.log.events[i], view.decoded[i]));
  }
  out["events"] = std::move(events);
  if (!view.replay.ok()) {
    out["pcrs"] = nullptr;
    out["replay_error"] = std::string(view.replay.status().message());
    return out;
  }
  json pcrs = json::object();
  for (const auto& [bank, values] : view.replay->pcrs) {
    json bank_json = json::object();
    for (const auto& [pcr, value] : values) bank_json[std::to_string(pcr)] = bytes::ToHex(value);
    pcrs[std::string(crypto::HashAlgName(bank))] = std::move(bank_json);
  }
  out["pcrs"] = std::move(pcrs);
  if (view.replay->startup_locality.has_value()) {
    out["startup_locality"] = *view.replay->startup_locality;
  }
  return out;
}

}  // namespace bootgate::cli
