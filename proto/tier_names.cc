#include "proto/tier_names.h"

namespace bootgate::v1 {

const char* TierName(Tier tier) {
  switch (tier) {
    case TIER_AFFIRMING:
      return "affirming";
    case TIER_WARNING:
      return "warning";
    case TIER_CONTRAINDICATED:
      return "contraindicated";
    default:
      return "";
  }
}

Tier TierFromName(std::string_view name) {
  for (Tier tier : {TIER_AFFIRMING, TIER_WARNING, TIER_CONTRAINDICATED}) {
    if (name == TierName(tier)) return tier;
  }
  return TIER_UNSPECIFIED;
}

}  // namespace bootgate::v1
