#include "server/bootgated/connection_bytes.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/base/const_init.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace bootgate::service {
namespace {

// The address and port of "ipv4:A.B.C.D:P" or "ipv6:[X]:P" as the bytes PeerKeyOf gives.
std::string PeerKeyFromString(absl::string_view peer) {
  uint32_t port = 0;
  const size_t colon = peer.rfind(':');
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(peer.substr(colon + 1), &port) ||
      port > 65535) {
    return "";
  }
  absl::string_view host = peer.substr(0, colon);
  const uint16_t net_port = htons(static_cast<uint16_t>(port));
  std::string key;
  if (absl::ConsumePrefix(&host, "ipv4:")) {
    in_addr a{};
    if (inet_pton(AF_INET, std::string(host).c_str(), &a) != 1) return "";
    key.assign(reinterpret_cast<const char*>(&a), sizeof(a));
  } else if (absl::ConsumePrefix(&host, "ipv6:")) {
    if (host.size() < 2 || host.front() != '[' || host.back() != ']') return "";
    std::string literal(host.substr(1, host.size() - 2));
    if (const size_t zone = literal.find('%'); zone != std::string::npos) literal.resize(zone);
    in6_addr a{};
    if (inet_pton(AF_INET6, literal.c_str(), &a) != 1) return "";
    key.assign(reinterpret_cast<const char*>(&a), sizeof(a));
  } else {
    return "";
  }
  key.append(reinterpret_cast<const char*>(&net_port), sizeof(net_port));
  return key;
}

std::string PeerKeyOf(int fd) {
  sockaddr_storage s{};
  socklen_t len = sizeof(s);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&s), &len) != 0) return "";
  std::string key;
  if (s.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&s);
    key.assign(reinterpret_cast<const char*>(&a->sin_addr), sizeof(a->sin_addr));
    key.append(reinterpret_cast<const char*>(&a->sin_port), sizeof(a->sin_port));
  } else if (s.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&s);
    // gRPC reports an IPv4-mapped peer of a dual-stack socket as ipv4.
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      key.assign(reinterpret_cast<const char*>(&a->sin6_addr) + 12, 4);
    } else {
      key.assign(reinterpret_cast<const char*>(&a->sin6_addr), sizeof(a->sin6_addr));
    }
    key.append(reinterpret_cast<const char*>(&a->sin6_port), sizeof(a->sin6_port));
  }
  return key;
}

// The descriptor of this process's socket connected to `peer_key`, or -1: a scan of
// /proc/self/fd, linear in the open descriptors.
int ScanForSocket(const std::string& peer_key) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int found = -1;
  while (dirent* entry = readdir(dir)) {
    int fd = -1;
    if (!absl::SimpleAtoi(entry->d_name, &fd) || fd == dirfd(dir)) continue;
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    if (PeerKeyOf(fd) == peer_key) {
      found = fd;
      break;
    }
  }
  closedir(dir);
  return found;
}

// The descriptor last found for each peer, checked again before use (a descriptor may have
// been closed and reused): one getpeername per call instead of a scan, while connections
// stay open. Bounded: cleared when it holds more entries than a process has descriptors.
int FindSocket(const std::string& peer_key) {
  static absl::Mutex mutex(absl::kConstInit);
  static auto* known = new absl::flat_hash_map<std::string, int>();  // guarded by mutex
  {
    absl::MutexLock lock(&mutex);
    if (auto it = known->find(peer_key); it != known->end() && PeerKeyOf(it->second) == peer_key) {
      return it->second;
    }
  }
  const int fd = ScanForSocket(peer_key);
  if (fd < 0) return fd;
  absl::MutexLock lock(&mutex);
  if (known->size() >= static_cast<size_t>(std::max(1024L, sysconf(_SC_OPEN_MAX)))) known->clear();
  (*known)[peer_key] = fd;
  return fd;
}

}  // namespace

ConnectionBytes::ConnectionBytes(const std::string& peer) : peer_key_(PeerKeyFromString(peer)) {
  if (!peer_key_.empty()) fd_ = FindSocket(peer_key_);
}

bool ConnectionBytes::StillOurs() const { return fd_ >= 0 && PeerKeyOf(fd_) == peer_key_; }

std::optional<uint64_t> ConnectionBytes::received() const {
  if (!StillOurs()) return std::nullopt;
  tcp_info info{};
  socklen_t len = sizeof(info);
  if (getsockopt(fd_, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  if (len < offsetof(tcp_info, tcpi_bytes_received) + sizeof(info.tcpi_bytes_received)) {
    return std::nullopt;
  }
  return info.tcpi_bytes_received;
}

}  // namespace bootgate::service
