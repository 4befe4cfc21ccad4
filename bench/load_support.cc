#include "bench/load_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cmath>

namespace bootgate::bench {
namespace {

bool IsPort(const std::string& s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool IsLoopbackTarget(const std::string& target) {
  if (target.starts_with("[")) {
    const size_t close = target.find(']');
    if (close == std::string::npos || close + 1 >= target.size() || target[close + 1] != ':' ||
        !IsPort(target.substr(close + 2))) {
      return false;
    }
    const std::string host = target.substr(1, close - 1);
    in6_addr a6;
    return inet_pton(AF_INET6, host.c_str(), &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
  }
  const size_t colon = target.rfind(':');
  if (colon == std::string::npos || !IsPort(target.substr(colon + 1))) return false;
  const std::string host = target.substr(0, colon);
  if (host == "localhost") return true;
  in_addr a4;
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank =
      static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

nlohmann::json Summary(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  return {{"count", v.size()},
          {"mean_ms", v.empty() ? 0 : sum / static_cast<double>(v.size())},
          {"p50_ms", Percentile(v, 50)},
          {"p99_ms", Percentile(v, 99)},
          {"max_ms", v.empty() ? 0 : v.back()}};
}

}  // namespace bootgate::bench
