#include "duet/sip/siphash.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>

namespace duet::sip {
namespace {

std::uint64_t load_le64(const unsigned char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

struct State {
  std::uint64_t v0, v1, v2, v3;
  void round() noexcept {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
  template <int C>
  void absorb(std::uint64_t m) noexcept {  // C compression rounds
    v3 ^= m;
    for (int i = 0; i < C; ++i) round();
    v0 ^= m;
  }
};

// SipHash-C-D: C rounds per 8-byte block, D to finish.
template <int C, int D>
std::uint64_t siphash(const std::array<unsigned char, 16>& key, const void* data, std::size_t len) noexcept {
  const std::uint64_t k0 = load_le64(key.data()), k1 = load_le64(key.data() + 8);
  State s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
          k1 ^ 0x7465646279746573ULL};
  const auto* p = static_cast<const unsigned char*>(data);
  const std::size_t whole = len - len % 8;
  for (std::size_t i = 0; i < whole; i += 8) s.absorb<C>(load_le64(p + i));
  // The last block: the remaining bytes, little-endian, and the length's low byte on top.
  unsigned char last[8] = {};
  if (len > whole) std::memcpy(last, p + whole, len - whole);
  last[7] = static_cast<unsigned char>(len);
  s.absorb<C>(load_le64(last));
  s.v2 ^= 0xff;
  for (int i = 0; i < D; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace

std::uint64_t siphash24(const std::array<unsigned char, 16>& key, const void* data,
                        std::size_t len) noexcept {
  return siphash<2, 4>(key, data, len);
}

std::uint64_t siphash13(const std::array<unsigned char, 16>& key, const void* data,
                        std::size_t len) noexcept {
  return siphash<1, 3>(key, data, len);
}

const std::array<unsigned char, 16>& process_hash_secret() noexcept {
  static const std::array<unsigned char, 16> secret = [] {
    std::array<unsigned char, 16> k{};
    try {
      std::random_device rd;
      for (std::size_t i = 0; i < k.size(); i += 4) {
        const std::uint32_t v = rd();
        std::memcpy(k.data() + i, &v, 4);
      }
    } catch (...) {
      // No random source at all: a fixed key still hashes well, it is only predictable.
    }
    return k;
  }();
  return secret;
}

void KeyedHasher::add(std::string_view s) noexcept {
  add_u32(static_cast<std::uint32_t>(s.size()));
  while (!s.empty()) {
    if (n_ == sizeof buf_) chain();
    const std::size_t take = std::min(s.size(), sizeof buf_ - n_);
    std::memcpy(buf_ + n_, s.data(), take);
    n_ += take;
    s.remove_prefix(take);
  }
}

void KeyedHasher::add_u32(std::uint32_t v) noexcept {
  if (n_ + 4 > sizeof buf_) chain();
  std::memcpy(buf_ + n_, &v, 4);
  n_ += 4;
}

std::uint64_t KeyedHasher::finish() const noexcept {
  return siphash13(process_hash_secret(), buf_, n_);
}

void KeyedHasher::chain() noexcept {
  const std::uint64_t h = finish();
  std::memcpy(buf_, &h, 8);
  n_ = 8;
}

}  // namespace duet::sip
