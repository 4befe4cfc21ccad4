#include "server/bootgated/ak_cache.h"

#include <cstdint>
#include <span>

namespace bootgate::service {

AkCache::Parsed AkCache::Get(const std::string& ak_public) {
  {
    absl::MutexLock lock(&mu_);
    if (auto it = entries_.find(ak_public); it != entries_.end()) return it->second;
  }
  // Parsed outside the lock: two threads may parse the same new key once each.
  auto parsed = std::make_shared<const absl::StatusOr<tpm::AkPublic>>(
      tpm::ParseAkPublic(std::span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(ak_public.data()), ak_public.size())));
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= kCapacity) entries_.clear();
  return entries_.try_emplace(ak_public, std::move(parsed)).first->second;
}

}  // namespace bootgate::service
