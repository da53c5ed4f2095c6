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

// The table parse() reads: per slot the known name hashed there (no two share one), as its
// lowercase form followed by ':' and zero-padded, with its length and id in the last two bytes: one
// 32-byte entry (two SSE2 words). parse() compares a name it loaded into two registers, with the
// colon that ends it, against the slot directly: the colon makes one compare check the length too,
// and indexing by slot saves a dependent load on every header line. The compare looks at most at
// bytes 0..kHeaderNameMaxLen, so len and id never take part in it; keeping them inside the 32 bytes
// makes the slot's address one shift and the id a load from that same address. Only the slots of
// names that occur are ever read, so the 8 KB of mostly empty slots cost no cache space. Empty slots
// (len 0, all zero) match no name.
struct alignas(32) HeaderNameEntry {
  char lower[30]{};
  std::uint8_t len = 0;
  HeaderId id = HeaderId::other;
};
static_assert(sizeof(HeaderNameEntry) == 32 && kHeaderNameMaxLen + 1 < sizeof(HeaderNameEntry::lower));
struct HeaderNameTable {
  // parse() may load a slot's words up to 31 bytes early (near the end of a buffer, to line them up
  // with a name loaded from there), which then reads from here for slot 0.
  alignas(32) char before[32]{};
  std::array<HeaderNameEntry, kHeaderNameSlots> entry{};
};
// Hidden: parse() indexes it on every header line, and a default-visibility object in a PIC build
// is reached through the GOT, one more load per line.
extern const HeaderNameTable kHeaderNameTable __attribute__((visibility("hidden")));
// Compact forms by letter ('a'..'z'); HeaderId::other where none is defined.
extern const std::array<HeaderId, 26> kCompactHeaderIds;

}  // namespace duet::sip
