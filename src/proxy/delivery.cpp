#include "duet/proxy/delivery.hpp"

namespace duet::proxy {

std::size_t reachable_contacts(const Location& loc) noexcept {
  std::size_t n = 0;
  for (const auto& c : loc.contacts) n += c.reachable ? 1 : 0;
  return n;
}

Delivery decide(const DeliveryInput& in) noexcept {
  if (in.view == nullptr || in.from_peer) return Delivery::local;
  const RoutingView& v = *in.view;
  // A drain stops new calls arriving here; calls in progress and in-dialog requests never get here.
  if (v.draining && in.invite) return Delivery::refuse;
  if (!v.peer_up || in.dn == nullptr) return Delivery::local;
  switch (in.dn->forward) {
    case Forward::off:
      return Delivery::local;
    case Forward::no_agent:
      return !in.dn->agent_here && in.dn->agent_peer ? Delivery::to_peer : Delivery::local;
    case Forward::oos:
      // Out of service here means nothing here can take it (no binding counts too), and the
      // peer's phone answers its probes.
      if (in.location != nullptr && reachable_contacts(*in.location) == 0 && in.location->peer_reachable)
        return Delivery::to_peer;
      return Delivery::local;
  }
  return Delivery::local;
}

}  // namespace duet::proxy
