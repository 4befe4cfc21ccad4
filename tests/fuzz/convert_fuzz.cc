// server/bootgated/convert.cc on arbitrary bytes. The first byte picks what the rest is:
//   0: a stored verdict's findings_json (a shared PostgreSQL is written by every replica, of any
//      version): DetailsFromJson must answer a status, never throw; what it accepts must
//      survive DetailsToJson -> DetailsFromJson unchanged, and VerdictFromRecord /
//      SummaryFromRecord of a record holding it must agree with it;
//   1: a History.List request (wire bytes): its timestamps through FromTimestamp / ToTimestamp
//      (any int64 seconds and int32 nanos a client sends) and the history's since/until check;
//   2: a History.Get / Diff request (wire bytes): CheckAttestationId accepts exactly the 64
//      lowercase hex digits of a token id, and every refusal names the field;
//   3: an Audit.List / PolicyService.DryRun request's timestamp (wire bytes), as 1.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "bootgate/v1/audit.pb.h"
#include "bootgate/v1/history.pb.h"
#include "bootgate/v1/policy_service.pb.h"
#include "google/protobuf/stubs/logging.h"
#include "server/bootgated/convert.h"

namespace {

using bootgate::service::CheckAttestationId;
using bootgate::service::DetailsFromJson;
using bootgate::service::DetailsToJson;
using bootgate::service::FromTimestamp;
using bootgate::service::kAttestationIdLength;
using bootgate::service::SummaryFromRecord;
using bootgate::service::ToTimestamp;
using bootgate::service::VerdictDetails;
using bootgate::service::VerdictFromRecord;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void FuzzDetails(const std::string& text) {
  absl::StatusOr<VerdictDetails> details = DetailsFromJson(text);
  if (!details.ok()) {
    Check(absl::IsInvalidArgument(details.status()) && !details.status().message().empty());
    return;
  }
  const std::string once = DetailsToJson(*details);
  absl::StatusOr<VerdictDetails> again = DetailsFromJson(once);
  Check(again.ok());
  Check(DetailsToJson(*again) == once);
  Check(again->findings.size() == details->findings.size());
  Check(again->qualifying_data == details->qualifying_data);

  bootgate::server::store::Attestation record;
  record.token_id = std::string(kAttestationIdLength, 'a');
  record.host_id = "host";
  record.tier = "affirming";
  record.findings_json = text;
  absl::StatusOr<bootgate::v1::Verdict> verdict = VerdictFromRecord(record);
  Check(verdict.ok());
  Check(verdict->findings_size() == static_cast<int>(details->findings.size()));
  Check(verdict->policy_version() == details->policy_version);
  absl::StatusOr<bootgate::v1::AttestationSummary> summary = SummaryFromRecord(record);
  Check(summary.ok());
  Check(summary->finding_count() == details->findings.size());
}

// A client's timestamp: FromTimestamp never traps (UBSan: no signed overflow), and a time that
// fits protobuf's range comes back through ToTimestamp to the microsecond.
void FuzzTimestamp(const google::protobuf::Timestamp& ts) {
  const absl::Time t = FromTimestamp(ts);
  const google::protobuf::Timestamp back = ToTimestamp(t);
  Check(back.nanos() >= 0 && back.nanos() < 1000000000);
  if (back.nanos() % 1000 != 0) __builtin_trap();  // the store keeps microseconds
  const bool in_range = ts.seconds() >= -62135596800 && ts.seconds() <= 253402300799 &&
                        ts.nanos() >= 0 && ts.nanos() <= 999999999;
  if (in_range) {
    Check(FromTimestamp(back) == absl::FromUnixMicros(absl::ToUnixMicros(t)));
  }
}

void FuzzList(const std::string& wire) {
  bootgate::v1::ListAttestationsRequest r;
  if (!r.ParseFromString(wire)) return;
  absl::Time since = absl::InfinitePast(), until = absl::InfiniteFuture();
  if (r.has_since()) {
    FuzzTimestamp(r.since());
    since = FromTimestamp(r.since());
  }
  if (r.has_until()) {
    FuzzTimestamp(r.until());
    until = FromTimestamp(r.until());
  }
  (void)(since > until);
}

void FuzzIds(const std::string& wire) {
  bootgate::v1::DiffAttestationsRequest r;
  if (!r.ParseFromString(wire)) return;
  for (const std::string* id : {&r.a(), &r.b()}) {
    const absl::Status s = CheckAttestationId(*id, "a");
    const bool token_id =
        id->size() == kAttestationIdLength && std::all_of(id->begin(), id->end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        });
    Check(s.ok() == token_id);
    if (!s.ok()) {
      Check(absl::IsInvalidArgument(s) && s.message().substr(0, 2) == "a ");
      // The message quotes at most 80 bytes of what the client sent.
      Check(s.message().size() < 200);
    }
  }
}

void FuzzOtherTimestamps(const std::string& wire) {
  bootgate::v1::ListAuditRequest audit;
  if (audit.ParseFromString(wire) && audit.has_since()) FuzzTimestamp(audit.since());
  bootgate::v1::DryRunRequest dry_run;
  if (dry_run.ParseFromString(wire) && dry_run.has_at()) FuzzTimestamp(dry_run.at());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // no line per string field that is not UTF-8
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Text and wire bytes, not a struct: the copy is what every parser here takes.
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:
      FuzzDetails(rest);
      break;
    case 1:
      FuzzList(rest);
      break;
    case 2:
      FuzzIds(rest);
      break;
    case 3:
      FuzzOtherTimestamps(rest);
      break;
  }
  return 0;
}
