// SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966), parsed into views without copying.
#pragma once

#include <cstdint>
#include <string_view>

namespace duet::sip {

enum class UriScheme : std::uint8_t { sip, sips, tel, other };
enum class HostKind : std::uint8_t { none, name, ipv4, ipv6 };

struct Uri {
  UriScheme scheme = UriScheme::other;
  std::string_view scheme_text;  // as written
  std::string_view user;         // still %-escaped; for tel: the telephone-subscriber number
  std::string_view password;     // still %-escaped
  std::string_view host;         // IPv6 references keep their brackets: "[2001:db8::1]"
  HostKind host_kind = HostKind::none;
  std::uint16_t port = 0;
  bool has_port = false;
  bool has_user = false;     // "sip:@host" is invalid; "sip:host" has no user
  std::string_view params;   // from the first ';' after host[:port], without the '?' part
  std::string_view headers;  // after '?', without the '?'
  // Common params, picked out while parsing (empty when absent).
  std::string_view transport, maddr, user_param, method, ttl;
  bool lr = false;
  bool ob = false;        // RFC 5626 outbound
  std::string_view text;  // the whole URI as given
  // Other schemes (e.g. "mailto:", "http:") keep only text/scheme_text and the part after ':'.
  std::string_view opaque;

  // The host without IPv6 brackets.
  std::string_view host_unbracketed() const noexcept {
    if (host_kind == HostKind::ipv6 && host.size() >= 2) return host.substr(1, host.size() - 2);
    return host;
  }
  // Port, or the scheme's default (5060, 5061 for sips or transport=tls).
  std::uint16_t port_or_default() const noexcept;
};

// Parses a whole URI (no surrounding "<>" or whitespace). Returns false on a malformed URI; a URI
// of an unknown scheme is accepted as UriScheme::other if it is "scheme:something".
bool parse_uri(std::string_view text, Uri& out) noexcept;

// Host validation shared with Via sent-by: a hostname, an IPv4 address or a bracketed IPv6
// reference. Returns HostKind::none if invalid.
HostKind classify_host(std::string_view host) noexcept;

// RFC 3261 §19.1.4 equality: scheme, user and password case-sensitive after unescaping, host
// case-insensitive, ports compared as written, user/ttl/method/maddr/transport params must match
// if present in either, other params compared only where both have them, headers must match.
bool uri_equal(const Uri& a, const Uri& b) noexcept;

// Compares two %-escaped strings after unescaping, without allocating.
bool unescaped_equal(std::string_view a, std::string_view b, bool case_insensitive) noexcept;

}  // namespace duet::sip
