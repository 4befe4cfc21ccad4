// Pure helpers of the load generator (bench/load_generator.cc), apart so that tests can hold
// them to their contract.
#ifndef BOOTGATE_BENCH_LOAD_SUPPORT_H_
#define BOOTGATE_BENCH_LOAD_SUPPORT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bootgate::bench {

// True only for "HOST:PORT" where HOST is an IPv4 address in 127.0.0.0/8, "localhost", or a
// bracketed IPv6 loopback ("[::1]:PORT"), and PORT is non-empty digits. Everything else (other
// addresses, names, gRPC URI schemes such as "dns:" or "unix:", a missing port) is false: the
// load generator sends traffic to nothing but this machine.
bool IsLoopbackTarget(const std::string& target);

// Nearest-rank percentile `p` (0 < p <= 100) of `sorted` (ascending); 0 when it is empty.
double Percentile(const std::vector<double>& sorted, double p);

// Latencies in ms summarised for a report: {"count", "mean_ms", "p50_ms", "p99_ms", "max_ms"}
// (zeros when there are none).
nlohmann::json Summary(std::vector<double> latencies_ms);

}  // namespace bootgate::bench

#endif  // BOOTGATE_BENCH_LOAD_SUPPORT_H_
