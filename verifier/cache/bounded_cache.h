// BoundedCache: a thread-safe map of at most `capacity` entries, for values that are a pure
// function of their key (a certificate's facts keyed by the digest of its DER, say), so that
// what a fleet sends over and over is decoded once. When full, the least recently inserted
// half is dropped: memory stays bounded whatever keys a caller sends, and hostile keys can cost
// at most the work the cache saves, never more. No I/O, no clock. Contains and Insert serve a
// cache of hints instead (the event log digests a store found stored, say), which their user
// checks again wherever being wrong would matter.
#ifndef BOOTGATE_VERIFIER_CACHE_BOUNDED_CACHE_H_
#define BOOTGATE_VERIFIER_CACHE_BOUNDED_CACHE_H_

#include <cstddef>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace bootgate::cache {

template <typename Key, typename Value>
class BoundedCache {
 public:
  explicit BoundedCache(size_t capacity) : capacity_(capacity < 2 ? 2 : capacity) {}
  BoundedCache(const BoundedCache&) = delete;
  BoundedCache& operator=(const BoundedCache&) = delete;

  // The value for `key`, computing it with `compute()` (outside the lock) on a miss. `key` may
  // be of any type the map looks up without a copy (absl::string_view for std::string keys).
  template <typename Lookup, typename Compute>
  Value GetOrCompute(const Lookup& key, Compute&& compute) {
    {
      absl::MutexLock lock(&mutex_);
      if (auto it = values_.find(key); it != values_.end()) {
        ++hits_;
        return it->second;
      }
    }
    Value value = std::forward<Compute>(compute)();
    absl::MutexLock lock(&mutex_);
    ++misses_;
    if (values_.contains(key)) return value;  // another thread computed it meanwhile
    InsertLocked(Key(key), value);
    return value;
  }

  // Whether `key` is held (counted as a hit or a miss).
  template <typename Lookup>
  bool Contains(const Lookup& key) {
    absl::MutexLock lock(&mutex_);
    const bool held = values_.contains(key);
    ++(held ? hits_ : misses_);
    return held;
  }

  // Holds `value` for `key`, unless the cache holds `key` already.
  void Insert(const Key& key, Value value) {
    absl::MutexLock lock(&mutex_);
    if (!values_.contains(key)) InsertLocked(key, std::move(value));
  }

  size_t size() const {
    absl::MutexLock lock(&mutex_);
    return values_.size();
  }
  std::pair<size_t, size_t> hits_and_misses() const {
    absl::MutexLock lock(&mutex_);
    return {hits_, misses_};
  }

 private:
  void InsertLocked(Key key, Value value) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (values_.size() >= capacity_) EvictOlderHalf();
    order_.push_back(std::move(key));
    values_.emplace(order_.back(), std::move(value));
  }

  void EvictOlderHalf() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    for (size_t n = order_.size() / 2; n > 0; --n) {
      values_.erase(order_.front());
      order_.pop_front();
    }
  }

  const size_t capacity_;
  mutable absl::Mutex mutex_;
  absl::flat_hash_map<Key, Value> values_ ABSL_GUARDED_BY(mutex_);
  std::deque<Key> order_ ABSL_GUARDED_BY(mutex_);  // insertion order, for eviction
  size_t hits_ ABSL_GUARDED_BY(mutex_) = 0;
  size_t misses_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace bootgate::cache

#endif  // BOOTGATE_VERIFIER_CACHE_BOUNDED_CACHE_H_
