// The caps on stream connections, in total and per source address, shared by all workers. Touched
// only when a connection is accepted or closed (never per message), so a mutex is fine here.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace duet::transport {

class ConnLimits {
 public:
  ConnLimits(std::uint32_t max_total, std::uint32_t max_per_ip)
      : max_total_(max_total), max_per_ip_(max_per_ip) {}
  // True (and counted) if one more connection from peer is allowed.
  bool try_acquire(const sockaddr_storage& peer);
  void release(const sockaddr_storage& peer);
  std::uint32_t total() const;

 private:
  static std::string key(const sockaddr_storage& peer);
  std::uint32_t max_total_, max_per_ip_;
  mutable std::mutex mu_;
  std::uint32_t total_ = 0;
  std::unordered_map<std::string, std::uint32_t> per_ip_;
};

}  // namespace duet::transport
