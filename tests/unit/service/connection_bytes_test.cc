// ConnectionBytes on real loopback TCP connections of this process: the kernel's count of the
// bytes a connection received, found by the peer address gRPC reports.
#include "server/bootgated/connection_bytes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"

namespace bootgate::service {
namespace {

// A connected pair on 127.0.0.1: the client's and the accepted (server-side) descriptors.
struct Connection {
  int client = -1;
  int accepted = -1;
  std::string client_peer;  // how gRPC names the client on the server side: "ipv4:127.0.0.1:P"
  ~Connection() {
    if (client >= 0) close(client);
    if (accepted >= 0) close(accepted);
  }
};

void Connect(Connection& c) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(listen(listener, 1) == 0);
  REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  c.client = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(connect(c.client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  c.accepted = accept(listener, nullptr, nullptr);
  close(listener);
  REQUIRE(c.accepted >= 0);
  sockaddr_in local{};
  len = sizeof(local);
  REQUIRE(getsockname(c.client, reinterpret_cast<sockaddr*>(&local), &len) == 0);
  c.client_peer = absl::StrCat("ipv4:127.0.0.1:", ntohs(local.sin_port));
}

// received() once it reaches `want` (loopback delivers at once, but give it a moment).
std::optional<uint64_t> ReceivedAtLeast(const ConnectionBytes& bytes, uint64_t want) {
  std::optional<uint64_t> got;
  for (int i = 0; i < 100; ++i) {
    got = bytes.received();
    if (!got.has_value() || *got >= want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return got;
}

TEST_CASE("the bytes a connection received, found by its peer, found again", "[connection]") {
  Connection c;
  Connect(c);
  const std::string data(1000, 'x');
  REQUIRE(write(c.client, data.data(), data.size()) == 1000);
  const ConnectionBytes first(c.client_peer);
  CHECK(ReceivedAtLeast(first, 1000) == 1000u);
  REQUIRE(write(c.client, data.data(), data.size()) == 1000);
  const ConnectionBytes again(c.client_peer);  // the remembered descriptor, checked again
  CHECK(ReceivedAtLeast(again, 2000) == 2000u);
}

TEST_CASE("a closed connection, or a peer this process has none with, has no count",
          "[connection]") {
  CHECK_FALSE(ConnectionBytes("ipv4:127.0.0.1:1").received().has_value());
  CHECK_FALSE(ConnectionBytes("unix:/tmp/socket").received().has_value());
  CHECK_FALSE(ConnectionBytes("not a peer").received().has_value());
  Connection c;
  Connect(c);
  const ConnectionBytes bytes(c.client_peer);
  CHECK(bytes.received().has_value());
  close(c.accepted);
  c.accepted = -1;
  CHECK_FALSE(bytes.received().has_value());
  CHECK_FALSE(ConnectionBytes(c.client_peer).received().has_value());
}

}  // namespace
}  // namespace bootgate::service
