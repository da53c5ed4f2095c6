#include "conn_limits.hpp"

#include <netinet/in.h>

namespace duet::transport {

std::string ConnLimits::key(const sockaddr_storage& peer) {
  if (peer.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(peer).sin_addr;
    return std::string(reinterpret_cast<const char*>(&a), sizeof a);
  }
  const auto& a = reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr;
  return std::string(reinterpret_cast<const char*>(&a), sizeof a);
}

bool ConnLimits::try_acquire(const sockaddr_storage& peer) {
  const auto k = key(peer);
  std::lock_guard lock(mu_);
  if (total_ >= max_total_) return false;
  auto& n = per_ip_[k];
  if (n >= max_per_ip_) {
    if (n == 0) per_ip_.erase(k);
    return false;
  }
  ++n;
  ++total_;
  return true;
}

void ConnLimits::release(const sockaddr_storage& peer) {
  const auto k = key(peer);
  std::lock_guard lock(mu_);
  auto it = per_ip_.find(k);
  if (it == per_ip_.end()) return;
  if (--it->second == 0) per_ip_.erase(it);
  --total_;
}

std::uint32_t ConnLimits::total() const {
  std::lock_guard lock(mu_);
  return total_;
}

}  // namespace duet::transport
