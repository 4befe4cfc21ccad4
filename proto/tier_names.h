// The lowercase names of v1::Tier ("affirming", "warning", "contraindicated"): how stored
// records, logs and text output spell a tier. Shared by the server and the CLI.
#ifndef BOOTGATE_PROTO_TIER_NAMES_H_
#define BOOTGATE_PROTO_TIER_NAMES_H_

#include <string_view>

#include "bootgate/v1/attestation.pb.h"

namespace bootgate::v1 {

// "affirming", "warning", "contraindicated"; "" for TIER_UNSPECIFIED and unknown values.
const char* TierName(Tier tier);
// The inverse: TIER_UNSPECIFIED for any other string.
Tier TierFromName(std::string_view name);

}  // namespace bootgate::v1

#endif  // BOOTGATE_PROTO_TIER_NAMES_H_
