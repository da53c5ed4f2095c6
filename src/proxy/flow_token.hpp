// A transport flow written into a URI user part (RFC 5626 §5.3 "flow token"): the proxy puts the
// flows of both ends of a dialog into its Record-Route, so in-dialog requests go back over the
// connection or NAT binding each phone registered or called from, not to the private address in
// its Contact.
//   token = proto worker "." conn-id "." address "." port     (all hex; proto u, t or s)
//   e.g.    u0.0.7f000001.13c4
#pragma once

#include <string>
#include <string_view>

#include "duet/transport/source.hpp"

namespace duet::proxy {

// Appends src's token to out (nothing for an address family other than IPv4/IPv6).
void append_flow_token(std::string& out, const transport::Source& src);
// Parses a token; fills proto, worker, conn_id and peer (local is left as it was).
bool parse_flow_token(std::string_view token, transport::Source& out) noexcept;
// Same flow: same protocol and, for streams, same connection; for UDP, same address and port.
bool same_flow(const transport::Source& a, const transport::Source& b) noexcept;

// RFC 5626 §5.2: the tokens we put in Record-Route are signed, so that nobody can forge a Route
// that makes us send into another phone's connection (or end another agent's call by its DN).
// The MAC is SipHash-2-4 (64 bits) over tokens ";" dn with a 128-bit key made at start (a
// restart invalidates it: in-dialog requests then go by their Request-URI), in hex.
void append_token_mac(std::string& out, std::string_view tokens, std::string_view dn);
bool token_mac_ok(std::string_view tokens, std::string_view dn, std::string_view mac) noexcept;
// Splits our Record-Route user part "A~B~MAC" into the tokens "A~B" and checks the MAC.
bool signed_tokens(std::string_view user, std::string_view dn, std::string_view& tokens) noexcept;

}  // namespace duet::proxy
