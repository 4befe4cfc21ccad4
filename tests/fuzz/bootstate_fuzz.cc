// libFuzzer target: the whole path from untrusted log bytes to a boot state: ParseEventLog,
// Replay, DecodeEvent for every event, then ExtractBootState with a quote covering every
// replayed PCR and with one covering only PCRs 0-7 of SHA-256. Checks the invariants callers
// rely on (every finding names a PCR 0-23 and, when it names an event, one of the log's;
// the boot chain only holds events of the right PCR), not only the absence of crashes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "verifier/bootstate/extract.h"
#include "verifier/crypto/pcr_values.h"
#include "verifier/eventlog/decode.h"
#include "verifier/eventlog/parse.h"
#include "verifier/eventlog/replay.h"

namespace {

namespace bs = bootgate::bootstate;
namespace el = bootgate::eventlog;

void Require(bool condition) {
  if (!condition) std::abort();
}

void Check(const el::EventLog& log, const bs::BootStateResult& result) {
  for (const auto& f : result.findings) {
    Require(!f.code.empty() && !f.message.empty());
    if (f.pcr) Require(*f.pcr < bootgate::crypto::kPcrCount);
    if (f.event_index) Require(*f.event_index < log.events.size());
  }
  auto pcr_of = [&](uint32_t index) { return log.events.at(index).pcr; };
  for (const auto& image : result.state.boot_loader.loaders)
    Require(pcr_of(image.event_index) == 4);
  if (result.state.kernel.image) Require(pcr_of(result.state.kernel.image->event_index) == 4);
  for (const auto& file : result.state.kernel.grub_files) Require(pcr_of(file.event_index) == 9);
  for (const auto& a : result.state.secure_boot.authorities) Require(pcr_of(a.event_index) == 7);
  if (result.state.kernel.command_line_event) {
    Require(pcr_of(*result.state.kernel.command_line_event) == 8);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  el::ParseLimits limits;
  limits.max_events = 2000;
  limits.max_event_data_size = 64 * 1024;
  auto log = el::ParseEventLog(std::span<const uint8_t>(data, size), limits);
  if (!log.ok()) return 0;
  auto replay = el::Replay(*log);
  if (!replay.ok()) return 0;
  std::vector<el::DecodedEvent> decoded;
  decoded.reserve(log->events.size());
  for (const el::Event& event : log->events) decoded.push_back(el::DecodeEvent(event));

  bootgate::tpm::PcrSelection everything;
  for (const auto& [bank, values] : replay->pcrs) {
    bootgate::tpm::PcrBankSelection selection{bank, {}};
    for (uint32_t pcr = 0; pcr < bootgate::crypto::kPcrCount; ++pcr) selection.pcrs.push_back(pcr);
    everything.push_back(selection);
  }
  Check(*log, bs::ExtractBootState(*log, *replay, decoded, everything));
  const bootgate::tpm::PcrSelection firmware_only = {
      {bootgate::crypto::HashAlg::kSha256, {0, 1, 2, 3, 4, 5, 6, 7}}};
  Check(*log, bs::ExtractBootState(*log, *replay, decoded, firmware_only));
  return 0;
}
