// What one connection of bootgated's gRPC server may hold before a handler sees a request
// (issue 13 item 2). gRPC 1.51's HTTP/2 transport reads a whole message before it compares it
// with the maximum receive size, and opens its flow-control window to whatever length a
// message announces: measured, one stream announcing 1 GiB took 1 GiB of RSS before it was
// refused. These channel arguments bound what gRPC itself can do about it: a ResourceQuota
// (memory for every connection's buffers: under pressure gRPC cancels streams with
// RST_STREAM ENHANCE_YOUR_CALM, which a client sees as RESOURCE_EXHAUSTED), its thread limit,
// MAX_CONCURRENT_STREAMS per connection, a fixed 64 KiB initial stream window (no BDP growth:
// a stream whose message nobody reads yet holds at most that), keepalive, idle and handshake
// limits. The per-request bounds (how many Attest requests are read at once, the receive
// deadline, max_request_bytes counted as the bytes arrive) are attest_receiver.h's.
#ifndef BOOTGATE_SERVER_BOOTGATED_TRANSPORT_LIMITS_H_
#define BOOTGATE_SERVER_BOOTGATED_TRANSPORT_LIMITS_H_

#include "bootgate/v1/config.pb.h"
#include "grpcpp/server_builder.h"

namespace bootgate::service {

// The initial HTTP/2 stream window bootgated announces, fixed (BDP probing off).
inline constexpr int kStreamWindowBytes = 64 * 1024;

// Sets the ResourceQuota and the channel arguments above on `builder` from `limits` (with
// WithDefaults applied), including the maximum receive message size.
void ApplyTransportLimits(const v1::Limits& limits, grpc::ServerBuilder& builder);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_TRANSPORT_LIMITS_H_
