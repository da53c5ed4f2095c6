// The proxy's settings ([proxy] in the config file; defaults are a production edge proxy's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "duet/dns/system_backend.hpp"
#include "duet/transaction/options.hpp"

namespace duet::proxy {

struct ProxyOptions {
  transaction::Options txn;  // T1, T2, T4 and the table bounds
  // Record-Route on dialog-creating requests, so in-dialog requests come back through us (needed
  // to reach NATed and TCP/TLS phones over their flows, and to see calls end).
  bool record_route = true;
  // Forking: when a target set's q values differ, try the highest q first and the next group only
  // when every branch of a group failed (RFC 3261 §16.6 / RFC 3261 §20.10); false: all in parallel.
  bool serial_by_q = true;
  // Timer C (§16.6 step 11): an INVITE branch that has rung this long without a final response is
  // cancelled. More than 3 minutes by the RFC.
  std::uint32_t timer_c_ms = 180000;
  // Where requests for domains we do not serve go (a gateway): "sip:host[:port][;transport=udp]" or
  // "sips:host". Empty: only numeric hosts are reached; other domains get 403. A host name is
  // located per request (RFC 3263: NAPTR, SRV, A/AAAA, cached for the records' TTL, next server on
  // failure).
  std::string outbound;
  // outbound's host when it is a name that had an address at start ("" otherwise): used only when
  // locating it by DNS fails and the URI names a port.
  std::string outbound_ip;
  // dr-forward's action when a call belongs at the peer site: a 302 with the peer's contact for the
  // DN (false), or the call proxied to the peer trunk (true).
  bool cross_site_proxy = false;
  // The peer's trunk, "sip:host:port" ([peer] sip); empty without a peer.
  std::string peer_sip;
  std::string peer_ip;  // peer_sip's host when it is a name, resolved at start ("" otherwise)
  // DNS for next hops named by host (Route, Request-URI; RFC 3263): the name servers to ask (empty:
  // /etc/resolv.conf's, with /etc/hosts for addresses) and how long.
  dns::BackendOptions dns;
  // Branches per request at most (the registrar's max contacts per AOR bounds it already).
  std::size_t max_branches = 16;
};

}  // namespace duet::proxy
