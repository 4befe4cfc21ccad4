#include "cli/quote_command.h"

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/bundle.h"
#include "cli/exit_codes.h"
#include "cli/file_input.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/eventlog/compare.h"
#include "verifier/eventlog/parse.h"
#include "verifier/eventlog/replay.h"
#include "verifier/tpm/ak_public.h"
#include "verifier/tpm/pcr_digest.h"
#include "verifier/tpm/pcr_file.h"
#include "verifier/tpm/quote_error.h"
#include "verifier/tpm/verify_quote.h"

namespace bootgate::cli {
namespace {

struct QuoteVerifyFlags {
  std::string bundle_dir;
  std::string ak_path;
  std::string message_path;
  std::string signature_path;
  std::string nonce_hex;
  bool nonce_given = false;  // --nonce appeared, possibly with an empty value
  std::string pcrs_path;
  std::string log_path;
  std::string require;
  bool allow_sha1 = false;
  // Offline only: verify a quote whose qualifying data is not a nonce we chose (a quote
  // captured elsewhere). Never offered by the agent or the service.
  bool no_freshness_check = false;
  bool json = false;
};

constexpr char kFreshnessNotChecked[] =
    "freshness NOT checked (--no-freshness-check): the qualifying data was not compared with a "
    "nonce, so this quote shows PCR values at some time, not that the TPM holds them now";

// Where the PCR values that must hash to the quote's pcrDigest came from.
struct PcrSource {
  crypto::PcrValues values;
  std::string name;  // "quote.pcrs", "event log replay"
};

std::string ShortHex(const std::vector<uint8_t>& bytes) {
  const std::string hex = bytes::ToHex(bytes);
  return hex.size() <= 16 ? hex : absl::StrCat(hex.substr(0, 16), "…");
}

// Assembles the evidence from the bundle directory, then lets each flag given override it.
absl::StatusOr<EvidenceBundle> GatherEvidence(const QuoteVerifyFlags& f) {
  EvidenceBundle e;
  if (f.nonce_given && f.nonce_hex.empty()) {
    return absl::InvalidArgumentError(
        "--nonce is empty: a quote without a nonce is replayable; to inspect a quote captured "
        "elsewhere offline, give --no-freshness-check instead of --nonce");
  }
  if (!f.bundle_dir.empty()) {
    ASSIGN_OR_RETURN(e, LoadEvidenceBundle(f.bundle_dir));
  } else if (f.ak_path.empty() || f.message_path.empty() || f.signature_path.empty() ||
             (f.nonce_hex.empty() && !f.no_freshness_check)) {
    return absl::InvalidArgumentError(
        "give BUNDLE_DIR, or all of --ak, --message, --signature and --nonce (or, offline, "
        "--no-freshness-check instead of --nonce)");
  }
  if (!f.ak_path.empty()) {
    ASSIGN_OR_RETURN(e.ak, ReadFileLimited(f.ak_path, kMaxSmallFileSize));
    e.ak_path = f.ak_path;
  }
  if (!f.message_path.empty()) {
    ASSIGN_OR_RETURN(e.message, ReadFileLimited(f.message_path, kMaxSmallFileSize));
  }
  if (!f.signature_path.empty()) {
    ASSIGN_OR_RETURN(e.signature, ReadFileLimited(f.signature_path, kMaxSmallFileSize));
  }
  if (!f.nonce_hex.empty()) {
    absl::StatusOr<std::vector<uint8_t>> nonce = bytes::FromHex(f.nonce_hex);
    if (!nonce.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--nonce: ", nonce.status().message()));
    }
    e.nonce = *std::move(nonce);
  }
  if (!f.pcrs_path.empty()) {
    ASSIGN_OR_RETURN(e.pcrs, ReadFileLimited(f.pcrs_path, kMaxSmallFileSize));
  }
  if (!f.log_path.empty()) {
    ASSIGN_OR_RETURN(e.eventlog, ReadFileLimited(f.log_path));
  }
  if (!e.pcrs.has_value() && !e.eventlog.has_value()) {
    return absl::InvalidArgumentError(
        "no PCR values to check the quote's PCR digest against: give --pcrs (tpm2_quote -o) or "
        "--log (the event log), or put quote.pcrs or eventlog.bin in the bundle");
  }
  return e;
}

// Checks the quote's pcrDigest against the PCR file and/or the replayed log. With both, the
// replay must also equal the quoted values PCR by PCR, which names the PCR that differs.
absl::StatusOr<std::string> CheckPcrs(const tpm::VerifiedQuote& verified, const EvidenceBundle& e) {
  std::vector<std::string> sources;
  std::optional<tpm::PcrFile> file;
  if (e.pcrs.has_value()) {
    absl::StatusOr<tpm::PcrFile> parsed = tpm::ParseTpm2ToolsPcrFile(*e.pcrs);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("PCR file: ", parsed.status().message()));
    }
    file = *std::move(parsed);
    RETURN_IF_ERROR(tpm::CheckPcrDigest(verified, file->values));
    sources.push_back("PCR file");
  }
  if (e.eventlog.has_value()) {
    absl::StatusOr<eventlog::EventLog> log = eventlog::ParseEventLog(*e.eventlog);
    if (!log.ok())
      return absl::InvalidArgumentError(absl::StrCat("event log: ", log.status().message()));
    absl::StatusOr<eventlog::ReplayResult> replay = eventlog::Replay(*log);
    if (!replay.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("event log: ", replay.status().message()));
    }
    if (file.has_value()) {
      const eventlog::Comparison cmp = eventlog::CompareWithQuoted(*replay, file->values);
      if (!cmp.mismatches.empty()) {
        std::vector<std::string> lines;
        for (const eventlog::PcrMismatch& m : cmp.mismatches) lines.push_back(m.message);
        return tpm::QuoteRejected(tpm::QuoteRejection::kPcrDigestMismatch,
                                  absl::StrCat("event log does not replay to the quoted PCRs: ",
                                               absl::StrJoin(lines, "; ")));
      }
      for (const eventlog::MissingBank& m : cmp.missing_banks) {
        std::cerr << "warning: " << m.message << "\n";
      }
    }
    absl::Status digest = tpm::CheckPcrDigest(verified, replay->pcrs);
    if (std::optional<tpm::QuoteRejection> r = tpm::GetQuoteRejection(digest)) {
      return tpm::QuoteRejected(*r, absl::StrCat("event log replay: ", digest.message()));
    }
    RETURN_IF_ERROR(digest);
    sources.push_back("event log replay");
  }
  return absl::StrJoin(sources, " and ");
}

int RunQuoteVerify(const QuoteVerifyFlags& flags) {
  auto fail = [&flags](const absl::Status& status) {
    if (std::optional<tpm::QuoteRejection> r = tpm::GetQuoteRejection(status)) {
      std::cerr << "quote rejected (" << tpm::QuoteRejectionName(*r) << "): " << status.message()
                << "\n";
      if (flags.json) {
        nlohmann::ordered_json j = {{"result", "rejected"},
                                    {"rejection", std::string(tpm::QuoteRejectionName(*r))},
                                    {"message", std::string(status.message())},
                                    {"freshness_checked", !flags.no_freshness_check}};
        std::cout << j.dump(2) << "\n";
      }
      return kExitRejected;
    }
    return BadInput(status);
  };

  absl::StatusOr<EvidenceBundle> evidence = GatherEvidence(flags);
  if (!evidence.ok()) return fail(evidence.status());
  absl::StatusOr<tpm::AkPublic> ak = tpm::ParseAkPublic(evidence->ak);
  if (!ak.ok())
    return fail(
        absl::InvalidArgumentError(absl::StrCat(evidence->ak_path, ": ", ak.status().message())));

  tpm::QuoteExpectations expect;
  if (flags.no_freshness_check) {
    // A bundle's meta.json nonce is not compared either: the user asked for no comparison.
    expect.freshness = tpm::Freshness::kNotCheckedOfflineOnly;
  } else if (evidence->nonce.empty()) {
    return fail(absl::InvalidArgumentError(
        "no expected nonce given (meta.json \"nonce\" is empty): a quote without one is "
        "replayable; to inspect a quote captured elsewhere offline, add --no-freshness-check"));
  } else {
    expect.nonce = evidence->nonce;
  }
  expect.allow_sha1 = flags.allow_sha1;
  if (!flags.require.empty()) {
    absl::StatusOr<tpm::PcrSelection> required = tpm::ParsePcrSelectionSpec(flags.require);
    if (!required.ok()) return fail(required.status());
    expect.required_pcrs = *std::move(required);
  }
  absl::StatusOr<tpm::VerifiedQuote> verified = tpm::VerifyQuote(
      {.message = evidence->message, .signature = evidence->signature, .ak = ak->key.get()},
      expect);
  if (!verified.ok()) return fail(verified.status());
  absl::StatusOr<std::string> pcr_sources = CheckPcrs(*verified, *evidence);
  if (!pcr_sources.ok()) return fail(pcr_sources.status());

  const tpm::Quote& q = verified->quote;
  const std::string firmware = absl::StrFormat("0x%016x", q.firmware_version);
  const std::string selection = tpm::FormatPcrSelection(q.pcr_selection, /*compact=*/true);
  if (flags.json) {
    nlohmann::ordered_json j = {
        {"result", "valid"},
        {"ak", ak->description},
        {"freshness_checked", verified->freshness_checked},
        {"qualifying_data", bytes::ToHex(q.extra_data)},
        {"pcr_selection", selection},
        {"pcr_digest", bytes::ToHex(q.pcr_digest)},
        {"pcr_sources", *pcr_sources},
        {"signature_hash", std::string(crypto::HashAlgName(verified->signature.hash))},
        {"reset_count", q.clock_info.reset_count},
        {"restart_count", q.clock_info.restart_count},
        {"clock_ms", q.clock_info.clock_ms},
        {"firmware_version", firmware}};
    if (!verified->freshness_checked) j["warning"] = kFreshnessNotChecked;
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  // Checked: the nonce is ours, a short prefix identifies it. Not checked: show all of the
  // qualifying data, since the reader is now the one who has to judge it.
  const std::string qualifying =
      verified->freshness_checked
          ? absl::StrCat("nonce ", ShortHex(q.extra_data))
          : absl::StrCat("qualifying data ",
                         q.extra_data.empty() ? "(empty)" : bytes::ToHex(q.extra_data),
                         " NOT checked");
  std::cout << "quote OK: " << ak->description << " AK, " << qualifying << ", " << selection
            << " digest matches (" << *pcr_sources << ", "
            << crypto::HashAlgName(verified->signature.hash) << "), resetCount "
            << q.clock_info.reset_count << ", restartCount " << q.clock_info.restart_count
            << ", clock " << q.clock_info.clock_ms << " ms, firmware " << firmware << "\n";
  if (!verified->freshness_checked) std::cout << "warning: " << kFreshnessNotChecked << "\n";
  return kExitOk;
}

}  // namespace

void AddQuoteCommand(CLI::App& app, int& exit_code) {
  CLI::App* quote = app.add_subcommand("quote", "TPM2 quotes");
  quote->require_subcommand(1);
  auto flags = std::make_shared<QuoteVerifyFlags>();
  CLI::App* verify = quote->add_subcommand(
      "verify",
      "Verify a TPM2 quote: AK signature, nonce, quote type, and that the PCR values (PCR file "
      "or replayed event log) hash to its PCR digest. Exit 0 valid, 1 rejected, 2 bad input.");
  verify->add_option("BUNDLE_DIR", flags->bundle_dir,
                     "evidence bundle directory (quote.msg, quote.sig, ak.pub or "
                     "ak.tpm2b_public, meta.json, quote.pcrs and/or eventlog.bin)");
  verify->add_option("--ak", flags->ak_path,
                     "AK public key: PEM, DER SPKI, TPM2B_PUBLIC or TPMT_PUBLIC");
  verify->add_option("--message", flags->message_path, "TPMS_ATTEST (tpm2_quote -m)");
  verify->add_option("--signature", flags->signature_path, "TPMT_SIGNATURE (tpm2_quote -s)");
  CLI::Option* nonce = verify->add_option("--nonce", flags->nonce_hex,
                                          "expected qualifying data, hex (tpm2_quote -q)");
  verify->add_option("--pcrs", flags->pcrs_path, "PCR values (tpm2_quote -o, serialized format)");
  verify->add_option("--log", flags->log_path, "TCG event log to replay");
  verify->add_option("--require", flags->require,
                     "PCRs the quote must cover, e.g. sha256:0-7 (tpm2-tools syntax)");
  verify->add_flag("--allow-sha1", flags->allow_sha1, "accept SHA-1 signatures (legacy TPMs)");
  verify
      ->add_flag("--no-freshness-check", flags->no_freshness_check,
                 "offline only: do not compare the qualifying data with any nonce (a quote "
                 "captured elsewhere, e.g. a cloud vTPM quote with empty qualifying data); the "
                 "output says freshness was NOT checked and shows the qualifying data")
      ->excludes(nonce);
  verify->add_flag("--json", flags->json, "print the result as JSON");
  verify->callback([flags, nonce, &exit_code] {
    flags->nonce_given = nonce->count() > 0;
    exit_code = RunQuoteVerify(*flags);
  });
}

}  // namespace bootgate::cli
