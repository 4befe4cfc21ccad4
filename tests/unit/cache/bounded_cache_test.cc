#include "verifier/cache/bounded_cache.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

namespace bootgate::cache {
namespace {

TEST_CASE("a value is computed once per key and then served from the cache", "[cache]") {
  BoundedCache<std::string, int> cache(8);
  int computed = 0;
  auto compute = [&] { return ++computed; };
  CHECK(cache.GetOrCompute("a", compute) == 1);
  CHECK(cache.GetOrCompute("a", compute) == 1);
  CHECK(cache.GetOrCompute("b", compute) == 2);
  CHECK(computed == 2);
  CHECK(cache.hits_and_misses() == std::pair<size_t, size_t>{1, 2});
}

TEST_CASE("the cache never holds more than its capacity, dropping the oldest first", "[cache]") {
  BoundedCache<int, int> cache(100);
  for (int key = 0; key < 10'000; ++key) {
    CHECK(cache.GetOrCompute(key, [&] { return key * 2; }) == key * 2);
    REQUIRE(cache.size() <= 100);
  }
  // The newest keys are still there; the first one was dropped and is computed again.
  int computed = 0;
  CHECK(cache.GetOrCompute(9'999, [&] { return ++computed; }) == 19'998);
  CHECK(cache.GetOrCompute(0, [&] { return ++computed; }) == 1);
  CHECK(computed == 1);
}

TEST_CASE("hints are inserted and looked up without computing, bounded the same way", "[cache]") {
  BoundedCache<std::string, bool> cache(4);
  CHECK_FALSE(cache.Contains("a"));
  cache.Insert("a", true);
  CHECK(cache.Contains("a"));
  cache.Insert("a", false);  // held already: kept
  CHECK(cache.GetOrCompute("a", [] { return false; }));
  for (const char* key : {"b", "c", "d", "e"}) cache.Insert(key, true);
  CHECK(cache.size() <= 4);
  CHECK_FALSE(cache.Contains("a"));  // the oldest went first
  CHECK(cache.Contains("e"));
}

TEST_CASE("threads asking for the same keys all get the one value", "[cache]") {
  BoundedCache<int, int> cache(16);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5'000; ++i) {
        const int key = i % 40;  // more keys than the capacity: evictions while others read
        if (cache.GetOrCompute(key, [key] { return key + 1; }) != key + 1) ++wrong;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(wrong == 0);
  CHECK(cache.size() <= 16);
}

}  // namespace
}  // namespace bootgate::cache
