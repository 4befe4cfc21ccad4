// bootgate-fixture: performs a scenario's measured boot on a (software) TPM and writes the
// evidence bundle. See swtpm-fixtures/README.md.
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bootgate/v1/scenario.pb.h"
#include "cli/pcr_defaults.h"
#include "swtpm-fixtures/generator/boot_builder.h"
#include "swtpm-fixtures/generator/bundle.h"
#include "swtpm-fixtures/generator/tpm_client.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::fixtures {
namespace {

constexpr TPM2_HANDLE kRsaEkCertIndex = 0x01c00002;

struct Options {
  std::string scenario_path;
  std::string out_dir;
  std::string tcti;
  std::string ca_dir = BOOTGATE_FIXTURES_CA_DIR;
  std::string ak = "rsa";
  std::string nonce_hex;
  std::optional<uint64_t> seed;
  std::optional<uint32_t> persist_ak;  // persistent handle for the AK (agent flow)
  bool startup = false;
};

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

absl::StatusOr<v1::Scenario> LoadScenario(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadText(path));
  v1::Scenario scenario;
  if (path.ends_with(".json")) {
    auto status = google::protobuf::util::JsonStringToMessage(text, &scenario);
    if (!status.ok())
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", status.ToString()));
  } else if (!google::protobuf::TextFormat::ParseFromString(text, &scenario)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a valid bootgate.v1.Scenario textproto"));
  }
  return scenario;
}

absl::StatusOr<TPML_PCR_SELECTION> Selection(std::span<const crypto::HashAlg> algs,
                                             std::span<const uint32_t> pcrs) {
  TPML_PCR_SELECTION sel = {};
  sel.count = static_cast<uint32_t>(algs.size());
  for (size_t i = 0; i < algs.size(); ++i) {
    TPMS_PCR_SELECTION& s = sel.pcrSelections[i];
    s.hash = static_cast<TPMI_ALG_HASH>(algs[i]);
    s.sizeofSelect = 3;
    for (uint32_t pcr : pcrs) {
      if (pcr > 23) return absl::InvalidArgumentError(absl::StrCat("no PCR ", pcr));
      s.pcrSelect[pcr / 8] |= static_cast<uint8_t>(1u << (pcr % 8));
    }
  }
  return sel;
}

absl::Status Run(const Options& o) {
  ASSIGN_OR_RETURN(v1::Scenario scenario, LoadScenario(o.scenario_path));
  if (o.seed) scenario.set_seed(*o.seed);
  ASSIGN_OR_RETURN(std::vector<crypto::HashAlg> banks, ScenarioBanks(scenario));
  CertLoader load_cert = [&](const std::string& name) -> absl::StatusOr<Bytes> {
    if (name.find('/') != std::string::npos)
      return absl::InvalidArgumentError(absl::StrCat("bad certificate name ", name));
    ASSIGN_OR_RETURN(std::string der, ReadText(absl::StrCat(o.ca_dir, "/", name, ".der")));
    return Bytes(der.begin(), der.end());
  };
  ASSIGN_OR_RETURN(std::vector<LoggedEvent> events, BuildBoot(scenario, banks, load_cert));

  const std::string nonce_hex = o.nonce_hex.empty() ? scenario.quote().nonce_hex() : o.nonce_hex;
  ASSIGN_OR_RETURN(Bytes nonce, bytes::FromHex(nonce_hex));
  crypto::HashAlg quote_bank = banks.front();
  for (crypto::HashAlg b : banks) {
    if (b == crypto::HashAlg::kSha256) quote_bank = b;
  }
  if (!scenario.quote().bank().empty()) {
    std::optional<crypto::HashAlg> b = crypto::HashAlgFromName(scenario.quote().bank());
    if (!b)
      return absl::InvalidArgumentError(
          absl::StrCat("unknown quote bank ", scenario.quote().bank()));
    quote_bank = *b;
  }
  std::vector<uint32_t> quote_pcrs(scenario.quote().pcrs().begin(), scenario.quote().pcrs().end());
  // The agent's default (`bootgate attest`): every PCR a real boot chain extends, shim's 14 too.
  if (quote_pcrs.empty()) quote_pcrs.assign(cli::kBootChainPcrs.begin(), cli::kBootChainPcrs.end());
  ASSIGN_OR_RETURN(TPML_PCR_SELECTION quote_sel, Selection(std::span(&quote_bank, 1), quote_pcrs));
  std::vector<uint32_t> all_pcrs;
  for (uint32_t i = 0; i < 24; ++i) all_pcrs.push_back(i);
  ASSIGN_OR_RETURN(TPML_PCR_SELECTION all_sel, Selection(banks, all_pcrs));

  ASSIGN_OR_RETURN(std::unique_ptr<TpmClient> tpm, TpmClient::Connect(o.tcti));
  if (o.startup) {
    RETURN_IF_ERROR(tpm->Startup(static_cast<uint8_t>(scenario.startup_locality())));
  } else if (scenario.startup_locality() != 0) {
    return absl::FailedPreconditionError(
        "this scenario starts the TPM at a locality: pass --startup "
        "and start swtpm with SWTPM_NO_STARTUP=1");
  }
  for (const LoggedEvent& e : events) {
    if (e.type == kEvNoAction) continue;
    RETURN_IF_ERROR(tpm->Extend(e.pcr, banks, e.digests));
  }
  ASSIGN_OR_RETURN(auto ek, tpm->CreateEk());
  ASSIGN_OR_RETURN(auto ak,
                   tpm->CreateAk(ek.first, o.ak == "ecc" ? AkType::kEccP256 : AkType::kRsa2048));
  ASSIGN_OR_RETURN(QuoteResult quote, tpm->Quote(ak.first, nonce, quote_sel));
  if (o.persist_ak) RETURN_IF_ERROR(tpm->Persist(ak.first, *o.persist_ak));
  ASSIGN_OR_RETURN(PcrReadResult quoted_pcrs, tpm->ReadPcrs(quote_sel));
  ASSIGN_OR_RETURN(PcrReadResult all_pcrs_read, tpm->ReadPcrs(all_sel));
  ASSIGN_OR_RETURN(Bytes ek_cert, tpm->ReadNv(kRsaEkCertIndex));
  tpm.reset();  // flush everything before writing

  RETURN_IF_ERROR(ApplyTamper(scenario, banks, events));
  std::filesystem::create_directories(o.out_dir);
  const std::string dir = o.out_dir + "/";
  RETURN_IF_ERROR(WriteFile(dir + "eventlog.bin", SerializeLog(banks, events)));
  RETURN_IF_ERROR(WriteFile(dir + "quote.msg", quote.attest));
  RETURN_IF_ERROR(WriteFile(dir + "quote.sig", quote.signature));
  RETURN_IF_ERROR(WriteFile(dir + "quote.pcrs", SerializedPcrs(quote_sel, quoted_pcrs)));
  ASSIGN_OR_RETURN(std::string pem, PublicKeyPem(ak.second.publicArea));
  RETURN_IF_ERROR(WriteFile(dir + "ak.pub", pem));
  ASSIGN_OR_RETURN(Bytes ak_public, MarshalPublic(ak.second));
  RETURN_IF_ERROR(WriteFile(dir + "ak.tpm2b_public", ak_public));
  RETURN_IF_ERROR(WriteFile(dir + "ek.crt", ek_cert));
  ASSIGN_OR_RETURN(std::string ek_pem, PublicKeyPem(ek.second.publicArea));
  RETURN_IF_ERROR(WriteFile(dir + "ek.pub", ek_pem));

  nlohmann::ordered_json meta = {
      {"nonce", bytes::ToHex(nonce)},
      {"host_id",
       scenario.quote().host_id().empty() ? scenario.name() : scenario.quote().host_id()},
      {"scenario", scenario.name()},
      {"ak", o.ak}};
  RETURN_IF_ERROR(WriteFile(dir + "meta.json", meta.dump(2) + "\n"));
  nlohmann::ordered_json pcrs_json = nlohmann::ordered_json::object();
  for (const auto& [key, value] : all_pcrs_read.values) {
    pcrs_json[std::string(crypto::HashAlgName(key.first))][std::to_string(key.second)] =
        bytes::ToHex(value);
  }
  RETURN_IF_ERROR(WriteFile(dir + "pcrs.json", pcrs_json.dump(2) + "\n"));

  std::vector<std::string> bank_names;
  for (crypto::HashAlg b : banks) bank_names.emplace_back(crypto::HashAlgName(b));
  std::cout << "bootgate-fixture: " << scenario.name() << ": " << events.size() + 1
            << " events, banks " << absl::StrJoin(bank_names, "+") << ", " << o.ak
            << " AK, bundle in " << o.out_dir << "\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace bootgate::fixtures

int main(int argc, char** argv) {
  bootgate::fixtures::Options o;
  CLI::App app{"Performs a scenario's measured boot on a TPM and writes the evidence bundle"};
  app.add_option("--scenario", o.scenario_path, "scenario file (.textproto or .json)")->required();
  app.add_option("--out", o.out_dir, "bundle directory (created)")->required();
  app.add_option("--tcti", o.tcti, "TCTI string (default: $BOOTGATE_TCTI)");
  app.add_option("--ca-dir", o.ca_dir, "directory of the test certificates")->capture_default_str();
  app.add_option("--ak", o.ak, "AK type")
      ->check(CLI::IsMember({"rsa", "ecc"}))
      ->capture_default_str();
  app.add_option("--nonce", o.nonce_hex, "qualifying data, hex (default: the scenario's)");
  app.add_option("--seed", o.seed, "override the scenario's seed");
  app.add_option("--persist-ak", o.persist_ak,
                 "also persist the AK at this handle (0x81000000-0x81ffffff), for bootgate attest")
      ->check(CLI::Range(0x81000000u, 0x81ffffffu));
  app.add_flag("--startup", o.startup, "send TPM2_Startup (at the scenario's startup locality)");
  CLI11_PARSE(app, argc, argv);
  if (o.tcti.empty()) {
    const char* env = std::getenv("BOOTGATE_TCTI");
    if (env == nullptr || *env == '\0') {
      std::cerr << "bootgate-fixture: no TPM: pass --tcti or set BOOTGATE_TCTI\n";
      return 2;
    }
    o.tcti = env;
  }
  absl::Status status = bootgate::fixtures::Run(o);
  if (!status.ok()) {
    std::cerr << "bootgate-fixture: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
