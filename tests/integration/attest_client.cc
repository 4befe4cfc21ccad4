// A small gRPC client of bootgated for the integration tests (the real agent is `bootgate
// attest`). Prints responses as protobuf JSON on stdout; on an error status prints
// "<CODE>: <message>" on stdout and exits 1.
//   attest_client ADDR register HOST AK_FILE [GROUP]
//   attest_client ADDR challenge HOST                  -> {"token":..., "qualifyingData": hex}
//   attest_client ADDR attest HOST TOKEN QUOTE SIG LOG [PCRS] [--concurrent N]
//       (with --concurrent, ADDR may list replicas "A,B,...": caller i calls replica i mod n)
//   attest_client ADDR placement HOST
//   attest_client ADDR history HOST | get ID | diff A B | keys
//   attest_client ADDR dry-run POLICY_FILE | put-policy POLICY_FILE
//   attest_client ADDR watch HOST SECONDS               -> one JSON line per change
//   attest_client ADDR enroll-start HOST AK_PUB EK_CERT|- [EK_PUB|-] [AK_CERT]
//       prints the response; writes the credential as tpm2-tools' file (magic 0xBADCC0DE,
//       version 1, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET) to $ENROLL_CREDENTIAL_FILE if set,
//       for `tpm2_activatecredential -i`
//   attest_client ADDR enroll-finish HOST ENROLLMENT_ID SECRET_FILE
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <barrier>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "bootgate/v1/attestation.grpc.pb.h"
#include "bootgate/v1/enrollment.grpc.pb.h"
#include "bootgate/v1/history.grpc.pb.h"
#include "bootgate/v1/hosts.grpc.pb.h"
#include "bootgate/v1/keys.grpc.pb.h"
#include "bootgate/v1/placement.grpc.pb.h"
#include "bootgate/v1/policy_service.grpc.pb.h"
#include "server/token.h"
#include "verifier/bytes/hex.h"

namespace v1 = bootgate::v1;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "attest_client: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int Print(const grpc::Status& status, const google::protobuf::Message& message) {
  if (!status.ok()) {
    // gRPC and Abseil number their status codes alike.
    std::printf(
        "%s: %s\n",
        absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())).c_str(),
        status.error_message().c_str());
    return 1;
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::printf("%s\n", json.c_str());
  return 0;
}

template <typename Stub>
std::unique_ptr<typename Stub::Stub> Make(const std::shared_ptr<grpc::Channel>& channel) {
  return Stub::NewStub(channel);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: attest_client ADDR COMMAND ARGS...\n");
    return 2;
  }
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 * 1024 * 1024);
  auto channel = grpc::CreateCustomChannel(argv[1], grpc::InsecureChannelCredentials(), args);
  const std::string cmd = argv[2];
  std::vector<std::string> a(argv + 3, argv + argc);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (cmd == "register" && a.size() >= 2) {
    v1::RegisterHostRequest r;
    r.set_host_id(a[0]);
    r.set_ak_public(ReadFile(a[1]));
    if (a.size() > 2) r.set_group(a[2]);
    v1::Host out;
    return Print(Make<v1::Hosts>(channel)->Register(&ctx, r, &out), out);
  }
  if (cmd == "enroll-start" && a.size() >= 3) {
    v1::StartEnrollmentRequest r;
    r.set_host_id(a[0]);
    r.set_ak_public(ReadFile(a[1]));
    if (a[2] != "-") r.set_ek_certificate(ReadFile(a[2]));
    if (a.size() > 3 && a[3] != "-") r.set_ek_public(ReadFile(a[3]));
    if (a.size() > 4) r.set_ak_certificate(ReadFile(a[4]));
    v1::StartEnrollmentResponse out;
    grpc::Status s = Make<v1::Enrollment>(channel)->Start(&ctx, r, &out);
    if (const char* path = std::getenv("ENROLL_CREDENTIAL_FILE"); s.ok() && path != nullptr) {
      std::ofstream file(path, std::ios::binary);
      file.write("\xba\xdc\xc0\xde\x00\x00\x00\x01", 8);
      file << out.credential_blob() << out.encrypted_secret();
    }
    return Print(s, out);
  }
  if (cmd == "enroll-finish" && a.size() == 3) {
    v1::FinishEnrollmentRequest r;
    r.set_host_id(a[0]);
    r.set_enrollment_id(a[1]);
    r.set_secret(ReadFile(a[2]));
    v1::Host out;
    return Print(Make<v1::Enrollment>(channel)->Finish(&ctx, r, &out), out);
  }
  if (cmd == "challenge" && a.size() == 1) {
    v1::ChallengeRequest r;
    r.set_host_id(a[0]);
    v1::ChallengeResponse out;
    grpc::Status s = Make<v1::Attestation>(channel)->Challenge(&ctx, r, &out);
    if (!s.ok()) return Print(s, out);
    auto q = bootgate::server::QualifyingData(out.token());
    std::printf("{\"token\":\"%s\",\"qualifying_data\":\"%s\"}\n", out.token().c_str(),
                bootgate::bytes::ToHex(*q).c_str());
    return 0;
  }
  if (cmd == "attest" && a.size() >= 6) {
    v1::AttestRequest r;
    r.set_host_id(a[0]);
    r.set_token(a[1]);
    r.set_quote(a[2] == "-" ? "" : ReadFile(a[2]));
    r.set_signature(a[3] == "-" ? "" : ReadFile(a[3]));
    r.set_event_log(a[4] == "-" ? "" : ReadFile(a[4]));
    r.set_pcrs(a[5] == "-" ? "" : ReadFile(a[5]));
    int concurrent = a.size() >= 8 && a[6] == "--concurrent" ? std::stoi(a[7]) : 0;
    if (concurrent == 0) {
      v1::Verdict out;
      return Print(Make<v1::Attestation>(channel)->Attest(&ctx, r, &out), out);
    }
    // N calls with the same token released together behind a barrier, each on its own
    // channel (spread over the replicas of ADDR); prints one status code per line.
    std::vector<std::string> replicas;
    for (size_t begin = 0, comma;; begin = comma + 1) {
      comma = std::string_view(argv[1]).find(',', begin);
      replicas.emplace_back(std::string_view(argv[1]).substr(begin, comma - begin));
      if (comma == std::string_view::npos) break;
    }
    std::barrier start(concurrent);
    std::vector<std::thread> threads;
    std::vector<int> codes(concurrent);
    for (int i = 0; i < concurrent; ++i) {
      threads.emplace_back([&, i] {
        grpc::ChannelArguments own;
        own.SetInt("bootgate.client", i);  // a distinct channel per caller
        auto ch = grpc::CreateCustomChannel(replicas[i % replicas.size()],
                                            grpc::InsecureChannelCredentials(), own);
        auto stub = v1::Attestation::NewStub(ch);
        ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5));
        grpc::ClientContext c;
        v1::Verdict out;
        start.arrive_and_wait();
        codes[i] = stub->Attest(&c, r, &out).error_code();
      });
    }
    for (auto& t : threads) t.join();
    for (int code : codes) std::printf("%d\n", code);
    return 0;
  }
  if (cmd == "placement" && a.size() == 1) {
    v1::GetPlacementRequest r;
    r.set_host_id(a[0]);
    v1::PlacementStatus out;
    return Print(Make<v1::Placement>(channel)->Get(&ctx, r, &out), out);
  }
  if (cmd == "history" && a.size() == 1) {
    v1::ListAttestationsRequest r;
    r.set_host_id(a[0]);
    v1::ListAttestationsResponse out;
    return Print(Make<v1::History>(channel)->List(&ctx, r, &out), out);
  }
  if (cmd == "get" && a.size() == 1) {
    v1::GetAttestationRequest r;
    r.set_attestation_id(a[0]);
    v1::AttestationRecord out;
    return Print(Make<v1::History>(channel)->Get(&ctx, r, &out), out);
  }
  if (cmd == "diff" && a.size() == 2) {
    v1::DiffAttestationsRequest r;
    r.set_a(a[0]);
    r.set_b(a[1]);
    v1::AttestationDiff out;
    return Print(Make<v1::History>(channel)->Diff(&ctx, r, &out), out);
  }
  if (cmd == "keys") {
    v1::GetKeysResponse out;
    return Print(Make<v1::Keys>(channel)->Get(&ctx, v1::GetKeysRequest(), &out), out);
  }
  if ((cmd == "dry-run" || cmd == "put-policy") && a.size() == 1) {
    v1::PolicySource source;
    const std::string text = ReadFile(a[0]);
    if (a[0].ends_with(".json"))
      source.set_json(text);
    else
      source.set_textproto(text);
    auto stub = Make<v1::PolicyService>(channel);
    if (cmd == "dry-run") {
      v1::DryRunRequest r;
      *r.mutable_candidate() = source;
      v1::DryRunResponse out;
      return Print(stub->DryRun(&ctx, r, &out), out);
    }
    v1::PutPolicyRequest r;
    *r.mutable_candidate() = source;
    v1::StoredPolicy out;
    return Print(stub->Put(&ctx, r, &out), out);
  }
  if (cmd == "watch" && a.size() == 2) {
    grpc::ClientContext wctx;
    wctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(std::stoi(a[1])));
    v1::WatchPlacementRequest r;
    r.add_host_ids(a[0]);
    auto reader = Make<v1::Placement>(channel)->Watch(&wctx, r);
    v1::PlacementChange change;
    while (reader->Read(&change)) {
      Print(grpc::Status::OK, change);
      std::fflush(stdout);
    }
    reader->Finish();
    return 0;
  }
  std::fprintf(stderr, "attest_client: unknown command or wrong arguments: %s\n", cmd.c_str());
  return 2;
}
