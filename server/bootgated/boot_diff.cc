#include "server/bootgated/boot_diff.h"

#include <map>
#include <span>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "verifier/bytes/hex.h"
#include "verifier/eventlog/event_types.h"
#include "verifier/eventlog/parse.h"

namespace bootgate::service {
namespace {

const char* const kLayers[] = {"firmware", "secure-boot", "boot-loader", "kernel", "event-log"};

using EventKey = std::pair<uint32_t, uint32_t>;  // pcr, type

std::map<EventKey, std::vector<const eventlog::Event*>> ByPcrAndType(
    const eventlog::EventLog& log) {
  std::map<EventKey, std::vector<const eventlog::Event*>> out;
  for (const eventlog::Event& e : log.events) out[{e.pcr, e.type}].push_back(&e);
  return out;
}

std::string Describe(const eventlog::Event& e) {
  for (const eventlog::EventDigest& d : e.digests) {
    if (d.alg == crypto::HashAlg::kSha256) return absl::StrCat("sha256 ", bytes::ToHex(d.digest));
  }
  if (!e.digests.empty()) return absl::StrCat("digest ", bytes::ToHex(e.digests[0].digest));
  return "no digest";
}

}  // namespace

std::string LayerOfPcr(uint32_t pcr) {
  if (pcr <= 3) return "firmware";
  if (pcr == 7) return "secure-boot";
  if (pcr == 4 || pcr == 5) return "boot-loader";
  if (pcr == 8 || pcr == 9) return "kernel";
  return "event-log";
}

std::vector<v1::LayerDiff> DiffBootChains(const std::string& log_a, const std::string& log_b) {
  auto parse = [](const std::string& bytes) {
    auto log =
        eventlog::ParseEventLog({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
    return log.ok() ? *std::move(log) : eventlog::EventLog{};
  };
  const eventlog::EventLog a = parse(log_a), b = parse(log_b);
  auto groups_a = ByPcrAndType(a), groups_b = ByPcrAndType(b);
  std::map<std::string, v1::LayerDiff> layers;
  for (const char* name : kLayers) layers[name].set_layer(name);
  std::map<EventKey, bool> keys;
  for (auto& [k, v] : groups_a) keys[k] = true;
  for (auto& [k, v] : groups_b) keys[k] = true;
  for (auto& [key, unused] : keys) {
    const auto& ea = groups_a[key];
    const auto& eb = groups_b[key];
    for (size_t i = 0; i < std::max(ea.size(), eb.size()); ++i) {
      const eventlog::Event* x = i < ea.size() ? ea[i] : nullptr;
      const eventlog::Event* y = i < eb.size() ? eb[i] : nullptr;
      if (x && y && x->digests.size() == y->digests.size() && Describe(*x) == Describe(*y) &&
          x->data == y->data) {
        continue;
      }
      v1::EventChange change;
      change.set_pcr(key.first);
      change.set_event_type(eventlog::EventTypeName(key.second));
      if (x) {
        change.set_event_index_a(x->index);
        change.set_description_a(Describe(*x));
      }
      if (y) {
        change.set_event_index_b(y->index);
        change.set_description_b(Describe(*y));
      }
      v1::LayerDiff& layer = layers[LayerOfPcr(key.first)];
      layer.set_changed(true);
      *layer.add_events() = std::move(change);
    }
  }
  std::vector<v1::LayerDiff> out;
  for (const char* name : kLayers) out.push_back(std::move(layers[name]));
  return out;
}

std::vector<v1::Finding> FindingsMissingFrom(const v1::Verdict& from, const v1::Verdict& to) {
  auto key = [](const v1::Finding& f) {
    return std::make_tuple(f.code(), f.layer(), f.has_pcr() ? static_cast<int64_t>(f.pcr()) : -1,
                           f.has_event_index() ? static_cast<int64_t>(f.event_index()) : -1);
  };
  std::vector<v1::Finding> out;
  for (const v1::Finding& f : from.findings()) {
    bool found = false;
    for (const v1::Finding& g : to.findings()) found = found || key(f) == key(g);
    if (!found) out.push_back(f);
  }
  return out;
}

}  // namespace bootgate::service
