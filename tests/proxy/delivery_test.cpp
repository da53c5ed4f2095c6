// proxy::decide(): where a new call for an AOR of this site goes (here, the peer site, or refused
// by a drain), rule by rule.
#include "duet/proxy/delivery.hpp"

#include <gtest/gtest.h>

namespace duet::proxy {
namespace {

RoutingView view_with(bool peer_up, bool draining = false, int shutdown_code = 603) {
  RoutingView v;
  v.peer_up = peer_up;
  v.draining = draining;
  v.shutdown_code = shutdown_code;
  return v;
}

Contact contact(bool reachable) {
  Contact c;
  c.uri = "sip:100@192.0.2.10:5060";
  c.reachable = reachable;
  return c;
}

Location location(std::initializer_list<bool> reachable, bool peer_registered, bool peer_reachable) {
  Location l;
  for (const bool r : reachable) l.contacts.push_back(contact(r));
  l.peer_registered = peer_registered;
  l.peer_reachable = peer_reachable;
  return l;
}

DeliveryInput input(const RoutingView* v, const DnRoute* dn, const Location* loc = nullptr,
                    bool invite = true) {
  DeliveryInput in;
  in.view = v;
  in.dn = dn;
  in.location = loc;
  in.invite = invite;
  return in;
}

TEST(ProxyDelivery, NoViewIsAlwaysLocal) {
  // A single site: even a DN that would forward is delivered here.
  const DnRoute dn{Forward::no_agent, false, true};
  const Location loc = location({}, true, true);
  EXPECT_EQ(decide(input(nullptr, &dn, &loc)), Delivery::local);
  EXPECT_EQ(decide(input(nullptr, nullptr)), Delivery::local);
}

TEST(ProxyDelivery, FromPeerIsLocalEvenWhenDrainingOrForwarding) {
  const RoutingView v = view_with(true, true);
  const DnRoute dn{Forward::no_agent, false, true};
  DeliveryInput in = input(&v, &dn);
  in.from_peer = true;
  EXPECT_EQ(decide(in), Delivery::local);  // never bounced back to the peer, never refused
  const RoutingView up = view_with(true);
  in.view = &up;
  EXPECT_EQ(decide(in), Delivery::local);
}

TEST(ProxyDelivery, DrainRefusesInvitesOnly) {
  const RoutingView v = view_with(true, true, 302);
  EXPECT_EQ(decide(input(&v, nullptr)), Delivery::refuse);
  const DnRoute off{Forward::off, true, false};
  EXPECT_EQ(decide(input(&v, &off)), Delivery::refuse);
  // Other methods (MESSAGE, OPTIONS, SUBSCRIBE...) still go through.
  EXPECT_EQ(decide(input(&v, nullptr, nullptr, false)), Delivery::local);
  EXPECT_EQ(decide(input(&v, &off, nullptr, false)), Delivery::local);
  // A non-INVITE for a forwarding DN follows the forwarding rules, not the drain.
  const DnRoute fwd{Forward::no_agent, false, true};
  EXPECT_EQ(decide(input(&v, &fwd, nullptr, false)), Delivery::to_peer);
  // The drain does not depend on the peer being up.
  const RoutingView alone = view_with(false, true);
  EXPECT_EQ(decide(input(&alone, nullptr)), Delivery::refuse);
}

TEST(ProxyDelivery, PeerDownIsLocal) {
  const RoutingView v = view_with(false);
  const DnRoute no_agent{Forward::no_agent, false, true};
  EXPECT_EQ(decide(input(&v, &no_agent)), Delivery::local);
  const DnRoute oos{Forward::oos, false, false};
  const Location loc = location({false}, true, true);
  EXPECT_EQ(decide(input(&v, &oos, &loc)), Delivery::local);
}

TEST(ProxyDelivery, NotAnAgentDnIsLocal) {
  const RoutingView v = view_with(true);
  const Location loc = location({false}, true, true);
  EXPECT_EQ(decide(input(&v, nullptr, &loc)), Delivery::local);
}

TEST(ProxyDelivery, ForwardOffIsLocal) {
  const RoutingView v = view_with(true);
  const DnRoute dn{Forward::off, false, true};
  const Location loc = location({false}, true, true);
  EXPECT_EQ(decide(input(&v, &dn, &loc)), Delivery::local);
}

TEST(ProxyDelivery, NoAgentGoesToPeerOnlyWhenTheAgentIsThereAndNotHere) {
  const RoutingView v = view_with(true);
  const DnRoute here{Forward::no_agent, true, false};
  const DnRoute at_peer{Forward::no_agent, false, true};
  const DnRoute both{Forward::no_agent, true, true};
  const DnRoute none{Forward::no_agent, false, false};
  EXPECT_EQ(decide(input(&v, &here)), Delivery::local);
  EXPECT_EQ(decide(input(&v, &at_peer)), Delivery::to_peer);
  EXPECT_EQ(decide(input(&v, &both)), Delivery::local);
  EXPECT_EQ(decide(input(&v, &none)), Delivery::local);
}

TEST(ProxyDelivery, OosReachableHereIsLocal) {
  const RoutingView v = view_with(true);
  const DnRoute dn{Forward::oos, true, true};
  const Location one = location({true}, true, true);
  EXPECT_EQ(decide(input(&v, &dn, &one)), Delivery::local);
  // One reachable contact among out-of-service ones is enough.
  const Location mixed = location({false, true}, true, true);
  EXPECT_EQ(decide(input(&v, &dn, &mixed)), Delivery::local);
}

TEST(ProxyDelivery, OosNothingHereGoesToPeerWhenReachableThere) {
  const RoutingView v = view_with(true);
  const DnRoute dn{Forward::oos, false, false};
  const Location none_here = location({}, true, true);
  EXPECT_EQ(decide(input(&v, &dn, &none_here)), Delivery::to_peer);
  const Location none_anywhere = location({}, false, false);
  EXPECT_EQ(decide(input(&v, &dn, &none_anywhere)), Delivery::local);
}

TEST(ProxyDelivery, OosOutOfServiceHereFollowsThePeersReachability) {
  const RoutingView v = view_with(true);
  const DnRoute dn{Forward::oos, true, true};
  const Location peer_ok = location({false, false}, true, true);
  EXPECT_EQ(decide(input(&v, &dn, &peer_ok)), Delivery::to_peer);
  // The peer holds a binding but it is out of service too: stay here.
  const Location peer_oos = location({false}, true, false);
  EXPECT_EQ(decide(input(&v, &dn, &peer_oos)), Delivery::local);
  const Location peer_none = location({false}, false, false);
  EXPECT_EQ(decide(input(&v, &dn, &peer_none)), Delivery::local);
}

TEST(ProxyDelivery, OosWithoutLookupIsLocal) {
  const RoutingView v = view_with(true);
  const DnRoute dn{Forward::oos, false, true};
  EXPECT_EQ(decide(input(&v, &dn, nullptr)), Delivery::local);
}

TEST(ProxyDelivery, ReachableContactsCountsOnlyInService) {
  EXPECT_EQ(reachable_contacts(location({}, false, false)), 0u);
  EXPECT_EQ(reachable_contacts(location({true, false, true}, false, false)), 2u);
  EXPECT_EQ(reachable_contacts(location({false, false}, false, false)), 0u);
}

}  // namespace
}  // namespace duet::proxy
