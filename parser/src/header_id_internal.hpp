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
// first, third and last letter, folded (a two-letter name counts ':' as its third, which is what
// follows it in a header line). No two known names share a slot (checked at compile time), so a
// lookup compares against exactly one candidate. The first and third letters enter as one word,
// bytes 0 and 2 of the folded name, which parse() takes from the register that already holds the
// name; only the last letter depends on the length, which keeps the chain from the name's end to
// the table short.
inline constexpr std::size_t kHeaderNameMaxLen = 24;
inline constexpr std::size_t kHeaderNameSlots = 256;
// word: the folded first letter in bits 0-7 and third in bits 16-23, nothing else.
constexpr std::size_t header_name_hash_word(std::size_t len, std::uint32_t word, char last) noexcept {
  const auto l = static_cast<unsigned char>(last | 0x20);
  return (((word * 27678u) >> 24) + len + l) % kHeaderNameSlots;
}
constexpr std::size_t header_name_hash(std::size_t len, char first, char third, char last) noexcept {
  const std::uint32_t word = static_cast<unsigned char>(first | 0x20) |
                             (std::uint32_t{static_cast<unsigned char>(third | 0x20)} << 16);
  return header_name_hash_word(len, word, last);
}
constexpr std::size_t header_name_slot(const char* name, std::size_t len) noexcept {
  return header_name_hash(len, name[0], len > 2 ? name[2] : ':', name[len - 1]);
}

// The table parse() reads: per slot an index into the known names (0 = empty slot), and per known
// name its lowercase form zero-padded to 32 bytes (two SSE2 words), its length and id. parse()
// compares a name it loaded into two registers against the candidate directly. Packed this way the
// names take 2 KB rather than 12 KB of slots, which keeps them in L1 next to the message.
struct alignas(16) HeaderNameEntry {
  char lower[32]{};
  std::uint8_t len = 0;  // 0 for entry 0, which no name matches
  HeaderId id = HeaderId::other;
};
inline constexpr std::size_t kHeaderNameEntries = 64;
struct HeaderNameTable {
  std::array<std::uint8_t, kHeaderNameSlots> index{};
  std::array<HeaderNameEntry, kHeaderNameEntries> entry{};
};
extern const HeaderNameTable kHeaderNameTable;
// Compact forms by letter ('a'..'z'); HeaderId::other where none is defined.
extern const std::array<HeaderId, 26> kCompactHeaderIds;

}  // namespace duet::sip
