// What a location lookup tells the proxy about an AOR: the contacts registered here (each with the
// flow or Path that reaches it) and whether the peer site holds a live, reachable binding for it.
// Filled on the worker owning the AOR (src/server) and handed to the worker that received the
// request, so only plain values cross threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "duet/transport/source.hpp"

namespace duet::proxy {

struct Contact {
  std::string uri;   // the Contact URI (the new Request-URI)
  std::string path;  // RFC 3327 Path values, comma-separated, in order ("" if none)
  // Where the REGISTER came from (RFC 5626 flow / RFC 3261 §18.2.2 received): requests go back
  // over it. has_flow false: send to the contact URI's host.
  transport::Source flow{};
  bool has_flow = false;
  std::uint16_t q = 1000;  // thousandths
  bool reachable = true;   // false: out of service (probe unanswered, flow gone)
};

struct Location {
  bool ok = true;  // false: the lookup could not run (the owning worker is gone)
  std::vector<Contact> contacts;
  bool peer_registered = false;  // the peer site holds a live binding of this AOR
  bool peer_reachable = false;   // ... and at least one is not out of service
};

}  // namespace duet::proxy
