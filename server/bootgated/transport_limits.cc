#include "server/bootgated/transport_limits.h"

#include <algorithm>
#include <cstdint>

#include "grpcpp/resource_quota.h"
#include "server/bootgated/config.h"

namespace bootgate::service {
namespace {

int Milliseconds(const google::protobuf::Duration& d) {
  const int64_t ms = absl::ToInt64Milliseconds(ToDuration(d));
  return static_cast<int>(std::clamp<int64_t>(ms, 1, INT32_MAX));
}

}  // namespace

void ApplyTransportLimits(const v1::Limits& limits, grpc::ServerBuilder& builder) {
  grpc::ResourceQuota quota("bootgated");
  quota.Resize(limits.transport_memory_bytes());
  quota.SetMaxThreads(static_cast<int>(limits.max_threads()));
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(static_cast<int>(limits.max_request_bytes()));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             static_cast<int>(limits.max_streams_per_connection()));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, kStreamWindowBytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, Milliseconds(limits.keepalive_time()));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             Milliseconds(limits.keepalive_timeout()));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             Milliseconds(limits.max_connection_idle()));
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             Milliseconds(limits.handshake_timeout()));
}

}  // namespace bootgate::service
