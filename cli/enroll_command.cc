#include "cli/enroll_command.h"

#include <iostream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "bootgate/v1/enrollment.grpc.pb.h"
#include "cli/exit_codes.h"
#include "cli/file_input.h"
#include "cli/grpc_client.h"
#include "cli/remote_output.h"
#include "cli/signal_guard.h"
#include "cli/tpm_agent.h"
#include "cli/tpm_enrollment.h"
#include "verifier/bytes/hex.h"

namespace bootgate::cli {
namespace {

// Certificates are a few kilobytes; anything near this is not one.
constexpr uint64_t kMaxCertificateBytes = 64 * 1024;

struct EnrollFlags {
  ServerOptions server;
  std::string host_id;
  std::string group;
  std::string tcti;
  std::string ak_handle = "0x81010002";
  std::string ek_cert_path;
  std::string ak_cert_path;
  std::string ek = "rsa";  // rsa | ecc
  bool json = false;
};

std::string AsString(const std::vector<uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

std::span<const uint8_t> AsBytes(const std::string& s) {
  return std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// One progress line on stderr (stdout is for the host, so --json stays parseable).
void Progress(absl::string_view line) { std::cerr << line << "\n" << std::flush; }

// The server's refusal of an AK that was revoked ("… is never bound again: enroll a new AK"):
// the agent then makes a new AK.
bool IsRevokedAk(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
         absl::StrContains(status.error_message(), "never bound again");
}

// A refused enrollment is a verdict on this host (exit 1); anything else is an error (exit 2).
int EnrollRpcError(absl::string_view what, const grpc::Status& status,
                   const ServerOptions& server) {
  ReportRpcError(what, status, server);
  return status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                 status.error_code() == grpc::StatusCode::FAILED_PRECONDITION
             ? kExitRejected
             : kExitBadInput;
}

absl::StatusOr<std::optional<std::vector<uint8_t>>> ReadOptionalFile(const std::string& path) {
  if (path.empty()) return std::nullopt;
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadFileLimited(path, kMaxCertificateBytes);
  if (!bytes.ok()) return bytes.status();
  return std::optional(std::move(*bytes));
}

// The enrollment of one host, step by step. Members are declared so that the keys go away
// (flushing the EK) before the TPM connection.
class Enrollment {
 public:
  Enrollment(const EnrollFlags& flags, uint32_t ak_handle, std::unique_ptr<TpmAgent> tpm,
             std::unique_ptr<v1::Enrollment::Stub> stub)
      : f_(flags), ak_handle_(ak_handle), tpm_(std::move(tpm)), stub_(std::move(stub)) {}

  // Returns the exit code.
  int Run(std::optional<std::vector<uint8_t>> ek_certificate,
          std::optional<std::vector<uint8_t>> ak_certificate) {
    v1::StartEnrollmentRequest start;
    start.set_host_id(f_.host_id);
    start.set_group(f_.group);

    if (absl::Status s = LoadEkCertificate(ek_certificate, ak_certificate.has_value()); !s.ok())
      return ReportError(s.message());
    if (ek_certificate_) start.set_ek_certificate(AsString(*ek_certificate_));
    if (absl::Status s = LoadAk(); !s.ok()) return ReportError(s.message());
    start.set_ak_public(AsString(ak_->public_area));
    // On the AK-certificate path the EK is needed only if the server asks for activation.
    if (!ak_certificate) {
      if (absl::Status s = LoadEk(); !s.ok()) return ReportError(s.message());
    }
    if (ek_) start.set_ek_public(AsString(ek_->public_area));
    if (ak_certificate) start.set_ak_certificate(AsString(*ak_certificate));

    v1::StartEnrollmentResponse started;
    {
      grpc::ClientContext context;
      SetDeadline(context, f_.server);
      grpc::Status status = stub_->Start(&context, start, &started);
      // A revoked AK is never bound again: evict it, make a new one, and try once more (not on
      // the AK-certificate path: the certificate names the old AK).
      if (IsRevokedAk(status) && !ak_certificate) {
        Progress(absl::StrFormat("Enrollment.Start: %s", status.error_message()));
        if (absl::Status s = ReplaceAk(); !s.ok()) return ReportError(s.message());
        start.set_ak_public(AsString(ak_->public_area));
        grpc::ClientContext retry;
        SetDeadline(retry, f_.server);
        status = stub_->Start(&retry, start, &started);
      }
      if (!status.ok()) return EnrollRpcError("Enrollment.Start", status, f_.server);
    }
    if (started.has_host()) {
      Progress("Enrollment.Start ... ok, AK bound at once (AK certificate)");
      return PrintHost(started.host());
    }
    Progress(absl::StrFormat("Enrollment.Start ... ok, credential for enrollment %s (expires %s)",
                             started.enrollment_id(), FormatTime(started.expires_at())));

    absl::StatusOr<CredentialChallenge> challenge = ParseCredentialChallenge(
        AsBytes(started.credential_blob()), AsBytes(started.encrypted_secret()));
    if (!challenge.ok()) return ReportError(challenge.status().message());
    if (absl::Status s = LoadEk(); !s.ok()) return ReportError(s.message());
    absl::StatusOr<std::vector<uint8_t>> secret =
        ActivateCredential(tpm_->esys(), *ak_, *ek_, *challenge);
    if (!secret.ok()) return ReportError(secret.status().message());
    Progress("credential activated");

    v1::FinishEnrollmentRequest finish;
    finish.set_host_id(f_.host_id);
    finish.set_enrollment_id(started.enrollment_id());
    finish.set_secret(AsString(*secret));
    v1::Host host;
    {
      grpc::ClientContext context;
      SetDeadline(context, f_.server);
      grpc::Status status = stub_->Finish(&context, finish, &host);
      if (!status.ok()) return EnrollRpcError("Enrollment.Finish", status, f_.server);
    }
    Progress("Enrollment.Finish ... ok");
    return PrintHost(host);
  }

 private:
  EkType ek_type() const { return f_.ek == "ecc" ? EkType::kEccP256 : EkType::kRsa2048; }

  // --ek-cert, else NV. Without either the EK path cannot work; the AK-certificate path may
  // go on without one.
  absl::Status LoadEkCertificate(std::optional<std::vector<uint8_t>>& from_file,
                                 bool have_ak_certificate) {
    if (from_file) {
      Progress(
          absl::StrFormat("EK certificate from %s (%u bytes)", f_.ek_cert_path, from_file->size()));
      ek_certificate_ = std::move(from_file);
      return absl::OkStatus();
    }
    const uint32_t nv_index = EkCertificateNvIndex(ek_type());
    absl::StatusOr<std::vector<uint8_t>> nv = ReadEkCertificate(tpm_->esys(), nv_index);
    if (!nv.ok()) {
      if (have_ak_certificate && nv.status().code() == absl::StatusCode::kFailedPrecondition) {
        Progress(
            absl::StrFormat("reading EK certificate from NV 0x%08x ... none (AK certificate "
                            "path: going on without)",
                            nv_index));
        return absl::OkStatus();
      }
      return nv.status();
    }
    Progress(absl::StrFormat("reading EK certificate from NV 0x%08x ... ok (%u bytes)", nv_index,
                             nv->size()));
    ek_certificate_ = std::move(*nv);
    return absl::OkStatus();
  }

  absl::Status LoadEk() {
    if (ek_) return absl::OkStatus();
    absl::StatusOr<TpmKey> ek = CreateEk(tpm_->esys(), ek_type());
    if (!ek.ok()) return ek.status();
    ek_ = std::move(*ek);
    Progress(absl::StrFormat("EK created (TCG default %s template), name %s", EkTypeName(ek_type()),
                             bytes::ToHex(ek_->name)));
    return absl::OkStatus();
  }

  // The AK at --ak-handle as it is, else a new one under the EK, persisted there.
  absl::Status LoadAk() {
    absl::StatusOr<std::optional<TpmKey>> existing = ReadPersistentKey(tpm_->esys(), ak_handle_);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      ak_ = std::move(**existing);
      Progress(absl::StrFormat("AK 0x%08x found, name %s", ak_handle_, bytes::ToHex(ak_->name)));
      return absl::OkStatus();
    }
    if (absl::Status s = LoadEk(); !s.ok()) return s;
    absl::StatusOr<TpmKey> created = CreatePersistentAk(tpm_->esys(), *ek_, ak_handle_);
    if (!created.ok()) return created.status();
    ak_ = std::move(*created);
    Progress(absl::StrFormat("AK 0x%08x created, name %s", ak_handle_, bytes::ToHex(ak_->name)));
    return absl::OkStatus();
  }

  // Evicts the (revoked) AK at --ak-handle and creates a new one there.
  absl::Status ReplaceAk() {
    if (absl::Status s = EvictPersistentKey(tpm_->esys(), *ak_, ak_handle_); !s.ok()) return s;
    ak_.reset();
    Progress(absl::StrFormat("AK 0x%08x evicted (revoked)", ak_handle_));
    return LoadAk();
  }

  int PrintHost(const v1::Host& host) {
    Progress(absl::StrFormat("enrolled %s", host.host_id()));
    std::cout << (f_.json ? ProtoJson(host) : HostText(host)) << std::flush;
    return kExitOk;
  }

  const EnrollFlags& f_;
  const uint32_t ak_handle_;
  std::unique_ptr<TpmAgent> tpm_;
  std::unique_ptr<v1::Enrollment::Stub> stub_;
  std::optional<std::vector<uint8_t>> ek_certificate_;
  std::optional<TpmKey> ek_;
  std::optional<TpmKey> ak_;
};

int RunEnroll(const EnrollFlags& f) {
  // First, before gRPC starts threads: an interrupt waits until every TPM handle is flushed.
  DeferTerminationSignals defer_signals;
  absl::StatusOr<uint32_t> ak_handle = ParsePersistentHandle(f.ak_handle);
  if (!ak_handle.ok()) return ReportError(ak_handle.status().message());
  absl::StatusOr<std::optional<std::vector<uint8_t>>> ek_certificate =
      ReadOptionalFile(f.ek_cert_path);
  if (!ek_certificate.ok()) return ReportError(ek_certificate.status().message());
  absl::StatusOr<std::optional<std::vector<uint8_t>>> ak_certificate =
      ReadOptionalFile(f.ak_cert_path);
  if (!ak_certificate.ok()) return ReportError(ak_certificate.status().message());
  // The channel first: a bad --server/--ca/--cert is reported before the TPM is touched.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(f.server);
  if (!channel.ok()) return ReportError(channel.status().message());
  absl::StatusOr<std::unique_ptr<TpmAgent>> tpm = TpmAgent::Open(ResolveTcti(f.tcti));
  if (!tpm.ok()) return ReportError(tpm.status().message());
  Enrollment enrollment(f, *ak_handle, std::move(*tpm), v1::Enrollment::NewStub(*channel));
  return enrollment.Run(std::move(*ek_certificate), std::move(*ak_certificate));
}

}  // namespace

void AddEnrollCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<EnrollFlags>();
  CLI::App* cmd = app.add_subcommand(
      "enroll",
      "enroll this host's AK with bootgated: EK certificate (from NV) + TPM2 credential "
      "activation proves the AK lives in this TPM; creates and persists an AK at --ak-handle "
      "when there is none, or a new one when the server says the AK was revoked (exit 0 "
      "enrolled, 1 refused by the server, 2 error)");
  cmd->add_option("HOST_ID", flags->host_id, "the host id this machine will attest as")->required();
  cmd->add_option("--group", flags->group, "group (informational; the policy decides)");
  cmd->add_option("--tcti", flags->tcti,
                  "TPM: device:/dev/tpmrm0, swtpm:host=127.0.0.1,port=N, tabrmd "
                  "(default: $BOOTGATE_TCTI, $TPM2TOOLS_TCTI, else device:/dev/tpmrm0)");
  cmd->add_option("--ak-handle", flags->ak_handle,
                  "persistent handle of the AK: used as it is when present, else an AK is "
                  "created under the EK and persisted here (what `attest --ak-handle` quotes with)")
      ->capture_default_str();
  cmd->add_option("--ek", flags->ek,
                  "which default EK proves the AK: rsa (template L-1, certificate in NV "
                  "0x01c00002) or ecc (P-256, template L-2, NV 0x01c0000a)")
      ->check(CLI::IsMember({"rsa", "ecc"}))
      ->capture_default_str();
  cmd->add_option("--ek-cert", flags->ek_cert_path,
                  "EK certificate (DER or PEM) instead of reading it from NV");
  cmd->add_option("--ak-cert", flags->ak_cert_path,
                  "AK certificate (DER or PEM) from the platform's CA (cloud vTPMs): the server "
                  "binds the AK at once, no activation");
  cmd->add_flag("--json", flags->json, "print the enrolled host as JSON");
  AddServerOptions(*cmd, flags->server);
  cmd->callback([flags, &exit_code] { exit_code = RunEnroll(*flags); });
}

}  // namespace bootgate::cli
