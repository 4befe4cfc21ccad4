// A real bootgated in-process on 127.0.0.1: one server per port (a second one on a taken port
// fails naming it, and the first keeps serving), gRPC health open to everyone (for the server and
// each service by name), server reflection only when the config turns it on, and the HTTP port's
// /healthz and /readyz. Calls go through a generic stub with hand-encoded
// messages, so the test needs no reflection or health client library.
#include "server/bootgated/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"

namespace bootgate::service {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "bootgate-server-test.XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

v1::ServerConfig Config(const std::string& dir, const std::string& listen = "127.0.0.1:0") {
  v1::ServerConfig config;
  config.set_data_dir(dir + "/data");
  config.set_listen_address(listen);
  config.set_http_address("off");
  return config;
}

struct Reply {
  grpc::Status status;
  std::string message;  // the first response message, serialized
};

// One request message on `method` (any kind of RPC), the first response and the status.
Reply Call(int port, const std::string& method, const std::string& request) {
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&context, method, &cq);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  REQUIRE(cq.Next(&tag, &ok));
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  call->WriteLast(out, grpc::WriteOptions(), reinterpret_cast<void*>(2));
  REQUIRE(cq.Next(&tag, &ok));
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(3));
  REQUIRE(cq.Next(&tag, &ok));
  Reply reply;
  if (ok) {
    grpc::Slice whole;
    REQUIRE(in.DumpToSingleSlice(&whole).ok());
    reply.message = std::string(reinterpret_cast<const char*>(whole.begin()), whole.size());
  }
  call->Finish(&reply.status, reinterpret_cast<void*>(4));
  REQUIRE(cq.Next(&tag, &ok));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return reply;
}

constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";
constexpr char kReflection[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
// ServerReflectionRequest{list_services: ""} (field 7, length 0).
const std::string kListServices("\x3a\x00", 2);
// HealthCheckResponse{status: SERVING}.
const std::string kServing("\x08\x01", 2);

TEST_CASE("a second bootgated on a taken port fails naming the port; the first keeps serving",
          "[server]") {
  TempDir one, two;
  auto first = Bootgated::Start(Config(one.path));
  REQUIRE(first.ok());
  const int port = (*first)->grpc_port();
  REQUIRE(port > 0);

  auto second = Bootgated::Start(Config(two.path, absl::StrCat("127.0.0.1:", port)));
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == absl::StatusCode::kUnavailable);
  INFO(second.status().message());
  CHECK_THAT(std::string(second.status().message()),
             Catch::Contains(absl::StrCat("port ", port, " is already in use")));

  for (int i = 0; i < 8; ++i) {
    const Reply health = Call(port, kHealthCheck, "");
    CHECK(health.status.ok());
    CHECK(health.message == kServing);
  }
}

TEST_CASE("the HTTP port is not shared either", "[server]") {
  TempDir one, two;
  v1::ServerConfig config = Config(one.path);
  config.set_http_address("127.0.0.1:0");
  auto first = Bootgated::Start(config);
  REQUIRE(first.ok());
  const int http_port = (*first)->http_port();
  REQUIRE(http_port > 0);
  v1::ServerConfig clash = Config(two.path);
  clash.set_http_address(absl::StrCat("127.0.0.1:", http_port));
  auto second = Bootgated::Start(clash);
  REQUIRE_FALSE(second.ok());
  CHECK_THAT(std::string(second.status().message()),
             Catch::Contains(absl::StrCat("http_address 127.0.0.1:", http_port)) &&
                 Catch::Contains(absl::StrCat("port ", http_port, " is already in use")));
}

TEST_CASE("reflection is off unless configured; health is always on", "[server]") {
  TempDir off_dir, on_dir;
  v1::ServerConfig on_config = Config(on_dir.path);
  on_config.set_reflection(true);
  // The server with reflection starts first: turning it on for one server must not turn it on
  // for the next one the process builds.
  auto on = Bootgated::Start(on_config);
  REQUIRE(on.ok());
  auto off = Bootgated::Start(Config(off_dir.path));
  REQUIRE(off.ok());

  const Reply refused = Call((*off)->grpc_port(), kReflection, kListServices);
  CHECK(refused.status.error_code() == grpc::StatusCode::UNIMPLEMENTED);
  const Reply listed = Call((*on)->grpc_port(), kReflection, kListServices);
  CHECK(listed.status.ok());
  CHECK_THAT(listed.message,
             Catch::Contains("bootgate.v1.Attestation") && Catch::Contains("bootgate.v1.Hosts"));

  for (const auto* server : {&*off, &*on}) {
    const Reply health = Call((**server).grpc_port(), kHealthCheck, "");
    CHECK(health.status.ok());
    CHECK(health.message == kServing);
  }
}

// HealthCheckRequest{service: name} (field 1, a string).
std::string HealthRequest(const std::string& name) {
  return absl::StrCat(std::string(1, '\x0a'), std::string(1, static_cast<char>(name.size())), name);
}

TEST_CASE("health answers for each service by its full name", "[server]") {
  TempDir dir;
  auto server = Bootgated::Start(Config(dir.path));
  REQUIRE(server.ok());
  for (const std::string name :
       {"bootgate.v1.Attestation", "bootgate.v1.Audit", "bootgate.v1.Enrollment",
        "bootgate.v1.History", "bootgate.v1.Hosts", "bootgate.v1.Keys", "bootgate.v1.Placement",
        "bootgate.v1.PolicyService"}) {
    INFO(name);
    const Reply health = Call((*server)->grpc_port(), kHealthCheck, HealthRequest(name));
    CHECK(health.status.ok());
    CHECK(health.message == kServing);
  }
  // A name no service has is NOT_FOUND, as the gRPC health protocol says.
  const Reply unknown =
      Call((*server)->grpc_port(), kHealthCheck, HealthRequest("bootgate.v1.NoSuchService"));
  CHECK(unknown.status.error_code() == grpc::StatusCode::NOT_FOUND);
}

// The whole response to a plain HTTP/1.0 GET of `path` on 127.0.0.1:port ("" when it fails).
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\n\r\n");
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
    }
  }
  close(fd);
  return response;
}

TEST_CASE("the HTTP port answers /healthz, /readyz, and /metrics with build and process figures",
          "[server]") {
  TempDir dir;
  v1::ServerConfig config = Config(dir.path);
  config.set_http_address("127.0.0.1:0");
  auto server = Bootgated::Start(config);
  REQUIRE(server.ok());
  for (const char* path : {"/healthz", "/readyz"}) {
    INFO(path);
    CHECK_THAT(HttpGet((*server)->http_port(), path), Catch::StartsWith("HTTP/1.1 200"));
  }
  // /metrics: what build runs, and the process's own figures.
  const std::string metrics = HttpGet((*server)->http_port(), "/metrics");
  CHECK_THAT(metrics, Catch::Contains("bootgate_build_info{") && Catch::Contains("version=\"") &&
                          Catch::Contains("revision=\""));
  CHECK_THAT(metrics, Catch::Contains("process_resident_memory_bytes ") &&
                          Catch::Contains("process_cpu_seconds_total ") &&
                          Catch::Contains("process_start_time_seconds "));
}

}  // namespace
}  // namespace bootgate::service
