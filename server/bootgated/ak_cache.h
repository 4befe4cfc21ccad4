// The registered AKs, parsed (tpm::ParseAkPublic) by their stored bytes, shared by every
// thread: Attest reads its host's AK for each quote, and a re-appraisal job each host's. A
// pure function of the bytes (every quote is still verified against its own host's key), so a
// cached key is never stale; what changes with a re-enrollment is the bytes. Bounded: cleared
// when full. A fleet whose hosts each attest every few minutes gets few hits (each host has
// its own AK); what it saves there is nothing, and the parse it would save costs ~20 us.
#ifndef BOOTGATE_SERVER_BOOTGATED_AK_CACHE_H_
#define BOOTGATE_SERVER_BOOTGATED_AK_CACHE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "verifier/tpm/ak_public.h"

namespace bootgate::service {

class AkCache {
 public:
  using Parsed = std::shared_ptr<const absl::StatusOr<tpm::AkPublic>>;
  static constexpr size_t kCapacity = 4096;

  // The AK `ak_public` holds, or why it does not parse. Its EVP_PKEY is only read (verifying a
  // signature), which OpenSSL allows from several threads at once.
  Parsed Get(const std::string& ak_public);

 private:
  absl::Mutex mu_;
  absl::node_hash_map<std::string, Parsed> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_AK_CACHE_H_
