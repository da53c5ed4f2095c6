// Parser-internal header-name lookup.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "duet/sip/header_id.hpp"

namespace duet::sip {

// header_id_from_name() for parse(): with wide_read_ok the caller guarantees that 24 bytes from
// name are readable (they are inside the buffer being parsed), which lets the compare load words.
HeaderId header_id_lookup(const char* name, std::size_t len, bool wide_read_ok) noexcept;
inline constexpr std::size_t kHeaderNameWideRead = 24;

// The longest known long name, and the hash of a name into the open-addressed table: length,
// first, middle and last letter, folded. No two known names share a slot (checked at compile
// time), so a lookup compares against exactly one candidate.
inline constexpr std::size_t kHeaderNameMaxLen = 24;
inline constexpr std::size_t kHeaderNameSlots = 256;
constexpr std::size_t header_name_slot(const char* name, std::size_t len) noexcept {
  const auto f = static_cast<unsigned char>(name[0] | 0x20),
             m = static_cast<unsigned char>(name[len / 2] | 0x20),
             l = static_cast<unsigned char>(name[len - 1] | 0x20);
  return (len + f * 4u + (m + l) * 5u) % kHeaderNameSlots;
}

// One slot: the lowercase name zero-padded to 32 bytes (two SSE2 words), its length (0 = empty
// slot) and id. parse() compares a name it loaded into two registers against it directly.
struct alignas(16) HeaderNameSlot {
  char lower[32]{};
  std::uint8_t len = 0;
  HeaderId id = HeaderId::other;
};
extern const std::array<HeaderNameSlot, kHeaderNameSlots> kHeaderNameTable;
// Compact forms by letter ('a'..'z'); HeaderId::other where none is defined.
extern const std::array<HeaderId, 26> kCompactHeaderIds;

}  // namespace duet::sip
