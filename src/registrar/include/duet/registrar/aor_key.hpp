// The key of an address-of-record: the To URI's user (%-escapes decoded, case kept, RFC 3261
// §19.1.4) and host (lower-cased); port and parameters are not part of it, as in Kamailio's
// usrloc with use_domain. The same hash picks the owning shard (high bits) and the slot in that
// shard's index (low bits), so a worker can route a REGISTER without touching the store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "duet/sip/message.hpp"
#include "duet/sip/uri.hpp"

namespace duet::registrar {

inline constexpr std::size_t kMaxAorUser = 255;
inline constexpr std::size_t kMaxAorDomain = 255;

struct AorKey {
  std::string_view user;    // decoded; may be empty ("sip:example.com" is a valid AOR)
  std::string_view domain;  // lower-case; IPv6 keeps its brackets
  std::uint64_t hash = 0;
};

// Holds the normalised bytes an AorKey points into.
struct AorKeyBuffer {
  char user[kMaxAorUser];
  char domain[kMaxAorDomain];
};

enum class AorStatus : std::uint8_t {
  ok,
  bad_to,      // To missing or not a parsable name-addr
  not_sip,     // To is not a sip: or sips: URI (RFC 3261 §10.2)
  too_long,    // user or host longer than the limits above
  bad_escape,  // malformed %-escape in the user part
};

std::string_view aor_status_reason(AorStatus s) noexcept;

std::uint64_t aor_hash(std::string_view user, std::string_view domain) noexcept;

// From a parsed URI (sip/sips only).
AorStatus aor_key_from_uri(const sip::Uri& uri, AorKeyBuffer& buf, AorKey& out) noexcept;
// From the To header of a request.
AorStatus aor_key_from_request(const sip::Message& req, AorKeyBuffer& buf, AorKey& out) noexcept;

// Shard that owns an AOR, in [0, shards).
inline std::uint16_t shard_of(std::uint64_t hash, std::uint16_t shards) noexcept {
  return shards <= 1 ? 0 : static_cast<std::uint16_t>((hash >> 32) % shards);
}

}  // namespace duet::registrar
