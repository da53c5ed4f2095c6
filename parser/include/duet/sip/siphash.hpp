// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit pseudo-random function built for
// short inputs.
// - It MACs the flow tokens in the proxy's Record-Route (src/proxy/flow_token.cpp): a 64-bit tag
//   with a 128-bit key made at start is what RFC 5626 §5.2 asks of such a token, at ~0.1 us a tag
//   where OpenSSL's HMAC-SHA256 took 1-3 us on every proxied request.
// - It hashes transaction keys (transaction_key.cpp) with a key made at start, so that nobody can
//   choose branches that all land in one place of a hash table (hash flooding).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace duet::sip {

std::uint64_t siphash24(const std::array<unsigned char, 16>& key, const void* data, std::size_t len) noexcept;

}  // namespace duet::sip
