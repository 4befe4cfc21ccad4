#include "server/bootgated/boot_diff.h"

#include <map>
#include <optional>
#include <span>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "verifier/bootstate/kernel_cmdline.h"
#include "verifier/bytes/hex.h"
#include "verifier/diff/align.h"
#include "verifier/eventlog/decode.h"
#include "verifier/eventlog/event_types.h"
#include "verifier/eventlog/image_load_event.h"
#include "verifier/eventlog/ipl.h"
#include "verifier/eventlog/parse.h"

namespace bootgate::service {
namespace {

const char* const kLayers[] = {"firmware", "secure-boot", "boot-loader", "kernel", "event-log"};

using EventKey = std::pair<uint32_t, uint32_t>;  // pcr, type
using Group = std::vector<const eventlog::Event*>;

std::map<EventKey, Group> ByPcrAndType(const eventlog::EventLog& log) {
  std::map<EventKey, Group> out;
  for (const eventlog::Event& e : log.events) out[{e.pcr, e.type}].push_back(&e);
  return out;
}

bool IsImageLoad(uint32_t type) {
  return type == eventlog::kEvEfiBootServicesApplication ||
         type == eventlog::kEvEfiBootServicesDriver ||
         type == eventlog::kEvEfiRuntimeServicesDriver;
}

// What the event measured: every bank's digest and the data, length-prefixed. An image load
// event's data without ImageLocationInMemory: where firmware happened to place the image
// differs from boot to boot (seen on the captured real boots: grub's kernel from memory) and
// is neither measured nor part of the boot chain.
std::string ContentKey(const eventlog::Event& e) {
  std::string key = absl::StrCat(e.digests.size(), ";");
  for (const eventlog::EventDigest& d : e.digests) {
    absl::StrAppend(&key, d.alg_id, ":", bytes::ToHex(d.digest), ";");
  }
  if (IsImageLoad(e.type)) {
    if (auto image = eventlog::ParseImageLoadEvent(e.data); image.ok()) {
      absl::StrAppend(&key, "image ", image->length, " ", image->link_time_address, " ",
                      image->device_path_bytes.size(), ":");
      key.append(image->device_path_bytes.begin(), image->device_path_bytes.end());
      return key;
    }
  }
  absl::StrAppend(&key, e.data.size(), ":");
  key.append(e.data.begin(), e.data.end());
  return key;
}

// The kind of an event for pairing within one (PCR, type): grub's PCR 8 strings by kind of
// string (and command word); every other event is of its group's one kind.
std::string PairingKind(const eventlog::Event& e) {
  if (e.pcr != 8 || e.type != eventlog::kEvIpl) return "";
  std::optional<eventlog::IplString> ipl = eventlog::ParseIplString(e.data);
  if (!ipl.has_value()) return "binary";
  switch (ipl->kind) {
    case eventlog::IplString::Kind::kGrubCommand:
      return absl::StrCat("grub_cmd: ", ipl->text.substr(0, ipl->text.find(' ')));
    case eventlog::IplString::Kind::kKernelCmdline:
      return "kernel_cmdline:";
    case eventlog::IplString::Kind::kModuleCmdline:
      return "module_cmdline:";
    case eventlog::IplString::Kind::kOther:
      break;
  }
  return "other";
}

std::string DigestText(const eventlog::Event& e) {
  for (const eventlog::EventDigest& d : e.digests) {
    if (d.alg == crypto::HashAlg::kSha256) return absl::StrCat("sha256 ", bytes::ToHex(d.digest));
  }
  if (!e.digests.empty()) {
    const eventlog::EventDigest& d = e.digests[0];
    const std::string alg = d.alg.has_value() ? std::string(crypto::HashAlgName(*d.alg))
                                              : absl::StrCat("alg 0x", absl::Hex(d.alg_id));
    return absl::StrCat(alg, " ", bytes::ToHex(d.digest));
  }
  return "no digest";
}

// Text shown on one line: line breaks and tabs escaped (the decoder lets them through).
std::string OneLine(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool IsText(const eventlog::DecodedEvent& d) {
  return std::holds_alternative<eventlog::IplString>(d.content) ||
         std::holds_alternative<eventlog::TextEvent>(d.content);
}

// "grub_cmd: echo hi (sha256 3f2a...)"; the digest alone for events whose data is not text.
std::string Describe(const eventlog::Event& e, const eventlog::DecodedEvent& decoded) {
  if (!IsText(decoded)) return DigestText(e);
  std::string out = absl::StrCat(OneLine(decoded.summary), " (", DigestText(e), ")");
  if (decoded.data_check.overall == eventlog::DataCheck::kMismatch) {
    absl::StrAppend(&out, " [text does not match the digest]");
  }
  return out;
}

std::optional<std::string> KernelCmdline(const eventlog::DecodedEvent& d) {
  const auto* ipl = std::get_if<eventlog::IplString>(&d.content);
  if (ipl == nullptr || ipl->kind != eventlog::IplString::Kind::kKernelCmdline) {
    return std::nullopt;
  }
  return ipl->text;
}

// For a changed kernel command line: the arguments added and removed, as the kernel splits
// them ("added: bootgate.note=\"a b\"; removed: quiet").
std::string CmdlineDetail(const std::string& before, const std::string& after) {
  const bootstate::KernelArgsDiff diff = bootstate::DiffKernelArgs(
      bootstate::SplitKernelCmdline(before), bootstate::SplitKernelCmdline(after));
  auto texts = [](const std::vector<bootstate::KernelArg>& args) {
    std::vector<std::string> out;
    for (const bootstate::KernelArg& a : args) out.push_back(OneLine(a.text));
    return absl::StrJoin(out, " ");
  };
  std::vector<std::string> parts;
  if (!diff.added.empty()) parts.push_back(absl::StrCat("arguments added: ", texts(diff.added)));
  if (!diff.removed.empty()) {
    parts.push_back(absl::StrCat("arguments removed: ", texts(diff.removed)));
  }
  if (diff.reordered) parts.push_back("same arguments, reordered");
  if (parts.empty()) parts.push_back("same arguments, spelled differently");
  return absl::StrJoin(parts, "; ");
}

v1::EventChange ChangeOf(EventKey key, const eventlog::Event* x, const eventlog::Event* y) {
  v1::EventChange change;
  change.set_pcr(key.first);
  change.set_event_type(eventlog::EventTypeName(key.second));
  std::optional<std::string> cmdline_a, cmdline_b;
  if (x != nullptr) {
    const eventlog::DecodedEvent decoded = eventlog::DecodeEvent(*x);
    change.set_event_index_a(x->index);
    change.set_description_a(Describe(*x, decoded));
    cmdline_a = KernelCmdline(decoded);
  }
  if (y != nullptr) {
    const eventlog::DecodedEvent decoded = eventlog::DecodeEvent(*y);
    change.set_event_index_b(y->index);
    change.set_description_b(Describe(*y, decoded));
    cmdline_b = KernelCmdline(decoded);
  }
  if (cmdline_a.has_value() && cmdline_b.has_value()) {
    change.set_detail(CmdlineDetail(*cmdline_a, *cmdline_b));
  }
  return change;
}

std::vector<v1::EventChange> DiffGroup(EventKey key, const Group& ga, const Group& gb) {
  std::vector<std::string> content_a, content_b, kind_a, kind_b;
  for (const eventlog::Event* e : ga) {
    content_a.push_back(ContentKey(*e));
    kind_a.push_back(PairingKind(*e));
  }
  for (const eventlog::Event* e : gb) {
    content_b.push_back(ContentKey(*e));
    kind_b.push_back(PairingKind(*e));
  }
  const std::vector<diff::AlignStep> steps = diff::Differences(diff::Align(
      content_a, content_b, [&](size_t i, size_t j) { return kind_a[i] == kind_b[j]; }));
  std::vector<v1::EventChange> out;
  for (const diff::AlignStep& step : steps) {
    out.push_back(ChangeOf(key, step.a.has_value() ? ga[*step.a] : nullptr,
                           step.b.has_value() ? gb[*step.b] : nullptr));
  }
  return out;
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
    for (v1::EventChange& change : DiffGroup(key, groups_a[key], groups_b[key])) {
      v1::LayerDiff& layer = layers[LayerOfPcr(key.first)];
      layer.set_changed(true);
      *layer.add_events() = std::move(change);
    }
  }
  std::vector<v1::LayerDiff> out;
  for (const char* name : kLayers) out.push_back(std::move(layers[name]));
  return out;
}

}  // namespace bootgate::service
