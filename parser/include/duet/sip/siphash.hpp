// SipHash (Aumasson and Bernstein, 2012): a keyed 64-bit pseudo-random function built for short
// inputs.
// - SipHash-2-4 MACs the flow tokens in the proxy's Record-Route (src/proxy/flow_token.cpp): a 64-bit
//   tag with a 128-bit key made at start is what RFC 5626 §5.2 asks of such a token, at ~0.1 us a
//   tag where OpenSSL's HMAC-SHA256 took 1-3 us on every proxied request.
// - SipHash-1-3 (one round per block, three to finish: what Rust's and CPython's hash tables use
//   against hash flooding) hashes the keys of our tables (KeyedHasher) under a key made at start,
//   so that nobody can choose branches or AORs that all land in one place of a table. A proxied
//   call hashes a dozen keys; with 2-4 that was 7% of the proxy's instructions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace duet::sip {

std::uint64_t siphash24(const std::array<unsigned char, 16>& key, const void* data, std::size_t len) noexcept;
std::uint64_t siphash13(const std::array<unsigned char, 16>& key, const void* data, std::size_t len) noexcept;

// A secret made once per process from the system's random source. Tables indexed by what a sender
// chooses (branches, Call-IDs, AORs) hash under it, so nobody can pick keys that all hash alike
// (hash flooding: with a fixed hash such as std::hash or FNV, they can be chosen so that every
// lookup walks all of them). The values differ from one process to the next: never store or send them.
const std::array<unsigned char, 16>& process_hash_secret() noexcept;

// SipHash-1-3 under process_hash_secret() over a sequence of fields, each preceded by its length so
// that ("ab", "c") and ("a", "bc") differ. Fields longer than the buffer are chained: the hash so far
// opens the next buffer.
class KeyedHasher {
 public:
  void add(std::string_view s) noexcept;
  void add_u32(std::uint32_t v) noexcept;
  std::uint64_t finish() const noexcept;

 private:
  void chain() noexcept;
  unsigned char buf_[192];
  std::size_t n_ = 0;
};

// One field's keyed hash.
inline std::uint64_t keyed_hash(std::string_view s) noexcept {
  KeyedHasher h;
  h.add(s);
  return h.finish();
}

}  // namespace duet::sip
