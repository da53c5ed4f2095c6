// Where a new call for an AOR of this site goes (the cross-site part of call delivery): here, to the
// peer site, or refused with the drain's shutdown code. Pure, so every rule is unit-tested.
#pragma once

#include <cstdint>

#include "duet/proxy/location.hpp"
#include "duet/proxy/routing_view.hpp"

namespace duet::proxy {

enum class Delivery : std::uint8_t {
  local,    // fork to the contacts registered here
  to_peer,  // 302 to the peer's contact for the DN, or proxied to the peer trunk
  refuse,   // the site is draining: shutdown_code (a 3xx redirects to the peer)
};

struct DeliveryInput {
  const RoutingView* view = nullptr;  // null: a single site with no continuity state
  const DnRoute* dn = nullptr;        // null: not an agent DN
  bool invite = true;                 // the drain refuses new INVITEs only
  bool from_peer = false;             // the peer site sent it: deliver here, never bounce it back
  const Location* location = nullptr;
};

Delivery decide(const DeliveryInput& in) noexcept;

// Contacts of loc that are not out of service.
std::size_t reachable_contacts(const Location& loc) noexcept;

}  // namespace duet::proxy
