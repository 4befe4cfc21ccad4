// How many bytes a TCP connection of this process has received, found by the peer address
// gRPC reports for a call ("ipv4:127.0.0.1:54321", "ipv6:[::1]:54321"). gRPC 1.51 gives a
// handler no count of the bytes a stream has delivered before its message is whole; with at
// most one request being read per connection (attest_receiver.h), the connection's count since
// the read began is that request's bytes, plus at most one stream window per other stream.
#ifndef BOOTGATE_SERVER_BOOTGATED_CONNECTION_BYTES_H_
#define BOOTGATE_SERVER_BOOTGATED_CONNECTION_BYTES_H_

#include <cstdint>
#include <optional>
#include <string>

namespace bootgate::service {

class ConnectionBytes {
 public:
  // Finds this process's socket connected to `peer` (gRPC's peer string). Without one (not
  // TCP, already closed), received() is nullopt.
  explicit ConnectionBytes(const std::string& peer);

  // The bytes the kernel received on the connection so far (TCP_INFO tcpi_bytes_received), or
  // nullopt when the socket is gone or the descriptor now belongs to another connection.
  std::optional<uint64_t> received() const;

 private:
  bool StillOurs() const;
  int fd_ = -1;
  std::string peer_key_;  // the address and port as bytes, to recognize the socket again
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_CONNECTION_BYTES_H_
