// What call delivery needs to know of business continuity, as an immutable snapshot: the site's
// mode (drain), the peer's liveness, and for each agent DN where its agent is logged in and the DN's
// dr-forward. The control loop builds a new one on each change and posts it to every worker, which
// swaps its pointer: workers read it without locks, and a worker never sees a half-made view.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace duet::proxy {

// dr-forward (the seed's name): when a call for a DN goes to the peer site instead.
enum class Forward : std::uint8_t {
  off,       // always delivered here
  no_agent,  // no agent logged in on the DN here, one logged in on it at the peer
  oos,       // the DN's phone is out of service here and reachable at the peer
};

struct DnRoute {
  Forward forward = Forward::off;
  bool agent_here = false;  // an agent is logged in on this DN at this site
  bool agent_peer = false;  // ... at the peer site
};

struct RoutingView {
  bool draining = false;    // a drain is under way (or done): new INVITEs get shutdown_code
  int shutdown_code = 603;  // 3xx: a redirect to the peer
  bool peer_up = false;     // the peer site is connected and whole
  std::unordered_map<std::string, DnRoute> dns;  // by DN number (the AOR's user part)

  const DnRoute* dn(std::string_view number) const {
    const auto it = dns.find(std::string(number));
    return it == dns.end() ? nullptr : &it->second;
  }
};

using RoutingViewPtr = std::shared_ptr<const RoutingView>;

}  // namespace duet::proxy
