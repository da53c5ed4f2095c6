// Route header work of a proxy (RFC 3261 §16.4, §16.6 step 6; RFC 5658 double Record-Route): which
// leading Route values are ours, where the request goes after them, and the edits removing them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "duet/sip/message.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/writer.hpp"

namespace duet::proxy {

struct RouteInfo {
  unsigned ours = 0;          // leading Route values addressed to us (two after a double Record-Route)
  std::string_view tokens;    // user part of the first of them: the flow tokens we recorded
  std::string_view params;    // its URI parameters (";dn=..." names the agent DN of a call)
  bool has_next = false;      // a Route value remains after ours
  std::string_view next_uri;  // its URI
  bool next_strict = false;   // ... without lr: the next hop is a strict router (RFC 2543)
  bool malformed = false;     // a Route value did not parse
};

// own(const sip::Uri&) says whether a URI addresses this proxy.
template <class Own>
RouteInfo analyse_routes(const sip::Message& m, Own&& own) {
  RouteInfo r;
  bool done = false;
  const bool ok = sip::for_each_value(m, sip::HeaderId::route, [&](std::string_view v) {
    sip::NameAddr na;
    if (!sip::parse_name_addr(v, na, true)) {
      r.malformed = true;
      return false;
    }
    if (!done && r.ours < 2 && own(na.uri)) {
      if (r.ours == 0) {
        r.tokens = na.uri.user;
        r.params = na.uri.params;
      }
      ++r.ours;
      return true;
    }
    done = true;
    r.has_next = true;
    r.next_uri = na.uri_text;
    r.next_strict = !na.uri.lr;
    return false;
  });
  if (!ok) r.malformed = true;
  return r;
}

// Edits removing the first n Route values (whole lines when all their values go).
bool remove_routes(sip::EditList& e, const sip::Message& m, unsigned n) noexcept;

// RFC 3261 §16.6 step 6, a request whose next hop is a strict router (its Route URI has no lr):
// the Request-URI goes last into Route, the strict router's URI becomes the Request-URI, and its
// Route value is removed with our own `ours` values. For a request forwarded by its Route set.
bool edit_for_strict_router(sip::EditList& e, const sip::Message& m, const RouteInfo& routes,
                            std::string& route_line);

// RFC 3261 §16.4: a request from a strict router carries in its Request-URI a URI we put in a
// Record-Route, and the real target as its last Route value. The same request in loose-routing
// form: the target as Request-URI, our URI as the first Route value, the last Route value gone.
// Writes it to out; false if there is no Route value to take or it does not parse.
bool rewrite_from_strict_router(const sip::Message& m, std::string& out);

// RFC 3261 §16.6 step 8 / §16.3 step 4: a hash of what identifies the request at this hop (Request-URI,
// From tag, To tag, Call-ID, CSeq number, Proxy-Require, Proxy-Authorization); a request that
// comes back with the same hash in one of our Vias is looping.
std::uint32_t loop_hash(const sip::Message& m) noexcept;

// The hash as it goes into our branches and To tags: eight lower-case hex digits, zero-padded.
void hex8(std::uint32_t v, char out[8]) noexcept;

}  // namespace duet::proxy
