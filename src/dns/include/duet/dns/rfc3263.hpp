// Locating SIP servers (RFC 3263 §4): from a SIP URI's host, port, transport and scheme to the
// ordered list of (transport, address, port) next hops to try, through NAPTR, SRV (RFC 2782) and
// A/AAAA lookups made by a Backend. Pure logic over the Backend, so that it can be tested without a
// DNS server; the Resolver runs it off the event loop.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "duet/transport/source.hpp"

namespace duet::dns {

struct Naptr {
  std::uint16_t order = 0, preference = 0;
  std::string flags, service, regexp, replacement;
};

struct Srv {
  std::uint16_t priority = 0, weight = 0, port = 0;
  std::string target;
};

// Blocking lookups. Each returns false on a temporary failure (timeout, SERVFAIL, no server), true
// otherwise, with out empty when the name or the record type does not exist; ttl is lowered to the
// smallest TTL of what it returns (or of the negative answer).
class Backend {
 public:
  virtual ~Backend() = default;
  virtual bool naptr(const std::string& name, std::vector<Naptr>& out, std::uint32_t& ttl) = 0;
  virtual bool srv(const std::string& name, std::vector<Srv>& out, std::uint32_t& ttl) = 0;
  // IPv4 and IPv6 addresses of name (ports 0), in the order to try them.
  virtual bool addresses(const std::string& name, std::vector<sockaddr_storage>& out, std::uint32_t& ttl) = 0;
};

// What of a SIP URI decides its next hops.
struct Query {
  bool sips = false;
  std::string host;        // a name (numeric hosts never need a lookup), without a trailing dot
  std::uint16_t port = 0;  // 0: none in the URI
  std::string transport;   // the transport parameter, lower case; empty: none
  // The transports the caller can send over (bits of 1 << Proto): NAPTR records and SRV lookups of
  // others are skipped (§4.1), so an answer never holds only hops we cannot use.
  std::uint8_t usable = 0x7;
};

constexpr std::uint8_t transport_bit(transport::Proto p) noexcept {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(p));
}

struct Hop {
  transport::Proto proto = transport::Proto::udp;
  sockaddr_storage addr{};  // with its port
};

struct Answer {
  std::vector<Hop> hops;   // best first; empty: the URI cannot be reached
  std::uint32_t ttl = 0;   // seconds the answer may be kept
  bool temporary = false;  // empty because a lookup failed, not because the names do not exist
};

// Longest any answer is kept, and how long an answer with no hops is.
inline constexpr std::uint32_t kMaxTtl = 3600;
inline constexpr std::uint32_t kNegativeTtl = 30;
inline constexpr std::uint32_t kTemporaryTtl = 5;

// RFC 3263 §4.1 (transport: the URI's, else NAPTR, else SRV for each transport, else UDP, or TLS
// for sips) and §4.2 (port: the URI's with A/AAAA, else SRV, else 5060/5061). Servers of one SRV
// priority are ordered by a weighted random draw (RFC 2782) with rng.
Answer locate(const Query& q, Backend& b, std::minstd_rand& rng);

// "udp", "tcp" or "tls" from a URI's scheme and transport parameter; false for one we do not speak
// (sctp, ws, ...).
bool transport_of(bool sips, const std::string& transport, transport::Proto& out) noexcept;

}  // namespace duet::dns
