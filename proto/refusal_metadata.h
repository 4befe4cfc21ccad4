// Why bootgated refused a call, for clients that must tell "not eligible" from "could not
// evaluate" without reading the message: a trailing metadata entry on the refused call.
// Shared by the server (which sets it) and the CLI (whose agent exits 1, not eligible, on it).
#ifndef BOOTGATE_PROTO_REFUSAL_METADATA_H_
#define BOOTGATE_PROTO_REFUSAL_METADATA_H_

namespace bootgate::v1 {

// Trailing metadata key (gRPC keys are lowercase ASCII).
inline constexpr char kRefusalMetadataKey[] = "bootgate-refusal";
// The host's AK was revoked: the host is not eligible until an admin allows re-enrollment.
inline constexpr char kRefusalAkRevoked[] = "ak-revoked";

}  // namespace bootgate::v1

#endif  // BOOTGATE_PROTO_REFUSAL_METADATA_H_
