#include "cli/history_command.h"

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bootgate/v1/history.grpc.pb.h"
#include "cli/exit_codes.h"
#include "cli/grpc_client.h"
#include "cli/remote_output.h"

namespace bootgate::cli {
namespace {

struct HistoryFlags {
  ServerOptions server;
  std::string host_id;
  std::string group;
  std::string since;
  std::string until;
  std::vector<std::string> tiers;
  uint32_t limit = 0;
  std::string page_token;
  std::string id_a;
  std::string id_b;
  bool json = false;
};

absl::StatusOr<v1::Tier> ParseTier(const std::string& name) {
  if (name == "affirming") return v1::TIER_AFFIRMING;
  if (name == "warning") return v1::TIER_WARNING;
  if (name == "contraindicated") return v1::TIER_CONTRAINDICATED;
  return absl::InvalidArgumentError(
      absl::StrCat("--tier \"", name, "\": expected affirming, warning or contraindicated"));
}

absl::StatusOr<std::unique_ptr<v1::History::Stub>> Stub(const ServerOptions& server) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(server);
  if (!channel.ok()) return channel.status();
  return v1::History::NewStub(*channel);
}

int RunList(const HistoryFlags& f) {
  if (!f.host_id.empty() && !f.group.empty())
    return ReportError("history: give --host or --group, not both");
  v1::ListAttestationsRequest request;
  request.set_host_id(f.host_id);
  request.set_group(f.group);
  const absl::Time now = absl::Now();
  if (!f.since.empty()) {
    absl::StatusOr<absl::Time> t = ParseTimeArg(f.since, now);
    if (!t.ok()) return ReportError(absl::StrCat("--since: ", t.status().message()));
    SetTimestamp(*t, request.mutable_since());
  }
  if (!f.until.empty()) {
    absl::StatusOr<absl::Time> t = ParseTimeArg(f.until, now);
    if (!t.ok()) return ReportError(absl::StrCat("--until: ", t.status().message()));
    SetTimestamp(*t, request.mutable_until());
  }
  for (const std::string& name : f.tiers) {
    absl::StatusOr<v1::Tier> tier = ParseTier(name);
    if (!tier.ok()) return ReportError(tier.status().message());
    request.add_tiers(*tier);
  }
  request.set_page_size(f.limit);
  request.set_page_token(f.page_token);
  absl::StatusOr<std::unique_ptr<v1::History::Stub>> stub = Stub(f.server);
  if (!stub.ok()) return ReportError(stub.status().message());
  v1::ListAttestationsResponse response;
  grpc::ClientContext context;
  SetDeadline(context, f.server);
  grpc::Status status = (*stub)->List(&context, request, &response);
  if (!status.ok()) return ReportRpcError("History.List", status, f.server);
  std::cout << (f.json ? ProtoJson(response) : AttestationListTable(response));
  return kExitOk;
}

int RunShow(const HistoryFlags& f) {
  absl::StatusOr<std::unique_ptr<v1::History::Stub>> stub = Stub(f.server);
  if (!stub.ok()) return ReportError(stub.status().message());
  v1::GetAttestationRequest request;
  request.set_attestation_id(f.id_a);
  v1::AttestationRecord record;
  grpc::ClientContext context;
  SetDeadline(context, f.server);
  grpc::Status status = (*stub)->Get(&context, request, &record);
  if (!status.ok()) return ReportRpcError("History.Get", status, f.server);
  std::cout << (f.json ? ProtoJson(record) : AttestationRecordText(record));
  return kExitOk;
}

int RunDiff(const HistoryFlags& f) {
  absl::StatusOr<std::unique_ptr<v1::History::Stub>> stub = Stub(f.server);
  if (!stub.ok()) return ReportError(stub.status().message());
  v1::DiffAttestationsRequest request;
  request.set_a(f.id_a);
  request.set_b(f.id_b);
  v1::AttestationDiff diff;
  grpc::ClientContext context;
  SetDeadline(context, f.server);
  grpc::Status status = (*stub)->Diff(&context, request, &diff);
  if (!status.ok()) return ReportRpcError("History.Diff", status, f.server);
  std::cout << (f.json ? ProtoJson(diff) : AttestationDiffText(diff));
  return kExitOk;
}

// A finite duration that is not negative: absl::ParseDuration's ("90m", "1h30m"), optionally
// after whole days, which it does not know ("7d", "1d12h"). nullopt otherwise.
std::optional<absl::Duration> ParseAgo(absl::string_view text) {
  absl::Duration days = absl::ZeroDuration();
  if (const size_t d = text.find('d'); d != absl::string_view::npos) {
    const absl::string_view count = text.substr(0, d);
    int64_t n = 0;
    // Digits only: no sign, no space (SimpleAtoi would take both).
    if (count.empty() || count.size() > 6 ||
        !std::all_of(count.begin(), count.end(), absl::ascii_isdigit) ||
        !absl::SimpleAtoi(count, &n)) {
      return std::nullopt;
    }
    days = absl::Hours(24) * n;
    text.remove_prefix(d + 1);
    if (text.empty()) return days;
  }
  absl::Duration rest;
  if (!absl::ParseDuration(text, &rest) || rest < absl::ZeroDuration() ||
      rest == absl::InfiniteDuration()) {
    return std::nullopt;
  }
  return days + rest;
}

}  // namespace

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  out->set_seconds(seconds);
  out->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
}

absl::StatusOr<absl::Time> ParseTimeArg(absl::string_view text, absl::Time now) {
  const std::string s(text);
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return t;
  if (absl::ParseTime("%Y-%m-%d", s, absl::UTCTimeZone(), &t, &err)) return t;
  // "24h", "7d" or "24h ago": a duration back from now.
  absl::string_view duration = absl::StripSuffix(absl::StripAsciiWhitespace(text), " ago");
  if (std::optional<absl::Duration> d = ParseAgo(absl::StripAsciiWhitespace(duration))) {
    return now - *d;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", text,
      "\" is not a time: use RFC 3339 (2024-05-01T12:00:00Z), a date or a duration ago (24h, "
      "7d)"));
}

void AddHistoryCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<HistoryFlags>();
  CLI::App* group =
      app.add_subcommand("history", "stored attestations: list (default), show, diff");
  group->add_option("--host", f->host_id, "only this host");
  group->add_option("--group", f->group, "only hosts of this policy group");
  group->add_option(
      "--since", f->since,
      "issued at or after (RFC 3339, a date, or a duration back from now: 24h, 7d, 90m ago)");
  group->add_option("--until", f->until, "issued before (the same forms as --since)");
  group->add_option("--tier", f->tiers, "only these tiers (affirming, warning, contraindicated)");
  group->add_option("--limit", f->limit, "at most N rows (server default 100)");
  group->add_option("--page-token", f->page_token, "continue a listing");
  group->add_flag("--json", f->json, "print JSON");
  AddServerOptions(*group, f->server);

  auto show_flags = std::make_shared<HistoryFlags>();
  CLI::App* show = group->add_subcommand("show", "one attestation: verdict and evidence");
  show->add_option("ID", show_flags->id_a, "attestation id")->required();
  show->add_flag("--json", show_flags->json, "print JSON (evidence bytes as base64)");
  AddServerOptions(*show, show_flags->server);
  show->callback([show_flags, &exit_code] { exit_code = RunShow(*show_flags); });

  auto diff_flags = std::make_shared<HistoryFlags>();
  CLI::App* diff = group->add_subcommand("diff", "what changed between attestations A and B");
  diff->add_option("A", diff_flags->id_a, "attestation id (usually the older)")->required();
  diff->add_option("B", diff_flags->id_b, "attestation id")->required();
  diff->add_flag("--json", diff_flags->json, "print JSON");
  AddServerOptions(*diff, diff_flags->server);
  diff->callback([diff_flags, &exit_code] { exit_code = RunDiff(*diff_flags); });

  // The group's own callback runs after a subcommand's: list only when none was given.
  group->callback([group, f, &exit_code] {
    if (!group->get_subcommands().empty()) return;
    exit_code = RunList(*f);
  });
}

}  // namespace bootgate::cli
