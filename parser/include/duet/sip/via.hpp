// Via header values (RFC 3261 §20.42, §18.2.1; RFC 3581 rport).
#pragma once

#include <cstdint>
#include <string_view>

namespace duet::sip {

inline constexpr std::string_view kMagicCookie = "z9hG4bK";

struct Via {
  std::string_view protocol_name;     // "SIP"
  std::string_view protocol_version;  // "2.0"
  std::string_view transport;         // "UDP", "TCP", "TLS", "SCTP", "WS", "WSS", ... as written
  std::string_view host;              // sent-by host; IPv6 keeps its brackets
  std::uint16_t port = 0;
  bool has_port = false;
  std::string_view params;  // raw, from the first ';'
  std::string_view branch, received, maddr, ttl;
  bool has_branch = false, has_received = false, has_maddr = false, has_ttl = false;
  bool has_rport = false;   // ";rport" with or without value
  std::uint32_t rport = 0;  // 0 when ";rport" had no value
  std::string_view text;    // the whole via-parm

  // RFC 3261 §17.2.3: the branch starts with the magic cookie.
  bool rfc3261_branch() const noexcept {
    return branch.size() > kMagicCookie.size() && branch.substr(0, kMagicCookie.size()) == kMagicCookie;
  }
  // Transport compared case-insensitively.
  bool transport_is(std::string_view t) const noexcept;
};

// Parses one via-parm (one comma-separated value of a Via header).
bool parse_via(std::string_view value, Via& out) noexcept;

}  // namespace duet::sip
