// Character classes of the RFC 3261 grammar as one 256-entry table, so a class test is one load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <type_traits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace duet::sip::chars {

enum : std::uint16_t {
  kToken = 1 << 0,  // token (RFC 3261 §25.1)
  kWs = 1 << 1,     // SP / HTAB
  kDigit = 1 << 2,
  kAlpha = 1 << 3,
  kHex = 1 << 4,
  kUnreserved = 1 << 5,     // alphanum / mark
  kUserExtra = 1 << 6,      // user-unreserved: & = + $ , ; ? /
  kPasswordExtra = 1 << 7,  // & = + $ ,
  kParamExtra = 1 << 8,     // param-unreserved: [ ] / : & + $
  kHnvExtra = 1 << 9,       // hnv-unreserved: [ ] / ? : + $
  kHostChar = 1 << 10,      // alphanum - . (hostname characters)
  kWord = 1 << 11,          // word (Call-ID): token chars plus ( ) < > : \ " / [ ] ? { }
  kLws = 1 << 12,           // SP / HTAB / CR / LF (whitespace inside a possibly folded value)
  kValueStop = 1 << 13,     // ends an unquoted parameter value: ; , " < > and LWS
  kNameStop = 1 << 14,      // ends a parameter name: kValueStop and '='
  kSplitStop = 1 << 15,     // what ValueSplitter must look at: , " <
};

struct Table {
  std::uint16_t v[256];
  constexpr Table() : v{} {
    for (int c = '0'; c <= '9'; ++c) v[c] |= kDigit | kHex | kToken | kUnreserved | kHostChar | kWord;
    for (int c = 'a'; c <= 'z'; ++c) v[c] |= kAlpha | kToken | kUnreserved | kHostChar | kWord;
    for (int c = 'A'; c <= 'Z'; ++c) v[c] |= kAlpha | kToken | kUnreserved | kHostChar | kWord;
    for (int c = 'a'; c <= 'f'; ++c) v[c] |= kHex;
    for (int c = 'A'; c <= 'F'; ++c) v[c] |= kHex;
    for (char c : std::string_view("-.!%*_+`'~")) v[static_cast<unsigned char>(c)] |= kToken | kWord;
    for (char c : std::string_view("()<>:\\\"/[]?{}")) v[static_cast<unsigned char>(c)] |= kWord;
    for (char c : std::string_view("-_.!~*'()")) v[static_cast<unsigned char>(c)] |= kUnreserved;
    for (char c : std::string_view("&=+$,;?/")) v[static_cast<unsigned char>(c)] |= kUserExtra;
    for (char c : std::string_view("&=+$,")) v[static_cast<unsigned char>(c)] |= kPasswordExtra;
    for (char c : std::string_view("[]/:&+$")) v[static_cast<unsigned char>(c)] |= kParamExtra;
    for (char c : std::string_view("[]/?:+$")) v[static_cast<unsigned char>(c)] |= kHnvExtra;
    v[static_cast<unsigned char>('-')] |= kHostChar;
    v[static_cast<unsigned char>('.')] |= kHostChar;
    for (char c : std::string_view(";,\"<> \t\r\n"))
      v[static_cast<unsigned char>(c)] |= kValueStop | kNameStop;
    v[static_cast<unsigned char>('=')] |= kNameStop;
    for (char c : std::string_view(",\"<")) v[static_cast<unsigned char>(c)] |= kSplitStop;
    v[static_cast<unsigned char>(' ')] |= kWs | kLws;
    v[static_cast<unsigned char>('\t')] |= kWs | kLws;
    v[static_cast<unsigned char>('\r')] |= kLws;
    v[static_cast<unsigned char>('\n')] |= kLws;
  }
};

inline constexpr Table kTable{};

inline bool is(char c, std::uint16_t cls) noexcept {
  return (kTable.v[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool token(char c) noexcept {
  return is(c, kToken);
}
inline bool ws(char c) noexcept {
  return c == ' ' || c == '\t';
}
inline bool lws(char c) noexcept {
  return is(c, kLws);
}
inline bool digit(char c) noexcept {
  return static_cast<unsigned>(c - '0') < 10u;
}
inline bool hex(char c) noexcept {
  return is(c, kHex);
}
inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
inline char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// Every char of s is in cls, or is a valid %HH escape when escapes are allowed.
inline bool all_of(std::string_view s, std::uint16_t cls, bool escapes) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (is(c, cls)) continue;
    if (escapes && c == '%' && i + 2 < s.size() && hex(s[i + 1]) && hex(s[i + 2])) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

// The first position in [p, e) whose character is not in cls (skip_in) or is in cls (skip_to).
// Four characters per step: the classes of four characters are AND-ed (OR-ed), so one test decides
// whether all four are skipped; hot scans (names, values, hosts) are mostly long runs.
inline const char* skip_in(const char* p, const char* e, std::uint16_t cls) noexcept {
  while (e - p >= 4 &&
         (kTable.v[static_cast<unsigned char>(p[0])] & kTable.v[static_cast<unsigned char>(p[1])] &
          kTable.v[static_cast<unsigned char>(p[2])] & kTable.v[static_cast<unsigned char>(p[3])] & cls))
    p += 4;
  while (p < e && is(*p, cls)) ++p;
  return p;
}
inline const char* skip_to(const char* p, const char* e, std::uint16_t cls) noexcept {
  while (e - p >= 4 &&
         !((kTable.v[static_cast<unsigned char>(p[0])] | kTable.v[static_cast<unsigned char>(p[1])] |
            kTable.v[static_cast<unsigned char>(p[2])] | kTable.v[static_cast<unsigned char>(p[3])]) &
           cls))
    p += 4;
  while (p < e && !is(*p, cls)) ++p;
  return p;
}

#if defined(__SSE2__)
// Per byte of x, 0xFF when Lo <= x <= Hi (as unsigned bytes): x - Lo + 0x80 is then, as a signed
// byte, below Hi - Lo + 1 - 128, and no other byte is. One add and one compare where testing both
// ends takes two compares and an AND (SSE2 has no unsigned byte compare).
template <unsigned char Lo, unsigned char Hi>
inline __m128i in_range(__m128i x) noexcept {
  static_assert(Lo <= Hi && Hi - Lo < 255);
  const __m128i t = _mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(0x80 - Lo)));
  return _mm_cmplt_epi8(t, _mm_set1_epi8(static_cast<char>(Hi - Lo + 1 - 128)));
}

// Per byte of x, a bit set when it equals one of Cs.
template <char... Cs>
inline unsigned eq_any_mask(__m128i x) noexcept {
  __m128i r = _mm_setzero_si128();
  ((r = _mm_or_si128(r, _mm_cmpeq_epi8(x, _mm_set1_epi8(Cs)))), ...);
  return static_cast<unsigned>(_mm_movemask_epi8(r));
}
#endif

// The first position in [p, e) whose character is one of Cs, or e; cls is the class made of exactly
// those characters (for the scalar fallback), or 0 to compare with Cs there too. lo <= p is the lowest
// address known to be readable: a remainder shorter than 16 bytes is looked at with one load of [e - 16, e)
// when that lies in [lo, e), so short runs inside a longer value still take a single SIMD step.
template <std::uint16_t cls, char... Cs>
inline const char* find_any(const char* p, const char* e, [[maybe_unused]] const char* lo) noexcept {
#if defined(__SSE2__)
  while (e - p >= 16) {
    if (const unsigned m = eq_any_mask<Cs...>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))))
      return p + __builtin_ctz(m);
    p += 16;
  }
  if (p < e && e - lo >= 16) {
    const char* const t = e - 16;
    const unsigned m = eq_any_mask<Cs...>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t))) >> (p - t);
    return m ? p + __builtin_ctz(m) : e;
  }
#endif
  if constexpr (cls == 0) {
    while (p < e && !((*p == Cs) || ...)) ++p;
    return p;
  } else {
    return skip_to(p, e, cls);
  }
}
#if defined(__SSE2__)
// Per byte of x, a bit set when it is in kValueStop (; , " < > SP HT CR LF) or, with Eq, in kNameStop
// (those and '='): fewer operations than one compare per character, by pairing characters that
// differ in one bit (OR-ing that bit in maps both, and only them, onto one value) and, for kNameStop,
// the range ; < = > (0x3B..0x3E) tested at once.
template <bool Eq>
inline unsigned stop_mask(__m128i x) noexcept {
  auto eq = [](__m128i a, char c) { return _mm_cmpeq_epi8(a, _mm_set1_epi8(c)); };
  auto eq_or = [](__m128i a, char bit, char c) {
    return _mm_cmpeq_epi8(_mm_or_si128(a, _mm_set1_epi8(bit)), _mm_set1_epi8(c));
  };
  __m128i r = _mm_or_si128(eq_or(x, 0x02, '"'), eq(x, ','));             // SP " ,
  r = _mm_or_si128(r, _mm_or_si128(eq_or(x, 0x04, '\r'), eq(x, '\n')));  // HT CR LF
  if constexpr (Eq) {
    // 0x3B..0x3E: x + (0x80 - 0x3B) is below -128 + 4 as a signed byte exactly for those.
    const __m128i t = _mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(0x80 - 0x3B)));
    r = _mm_or_si128(r, _mm_cmplt_epi8(t, _mm_set1_epi8(static_cast<char>(0x80 + 4))));
  } else {
    r = _mm_or_si128(r, _mm_or_si128(eq_or(x, 0x02, '>'), eq(x, ';')));  // < > ;
  }
  return static_cast<unsigned>(_mm_movemask_epi8(r));
}

template <bool Eq>
inline const char* find_stop(const char* p, const char* e, const char* lo) noexcept {
  while (e - p >= 16) {
    if (const unsigned m = stop_mask<Eq>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))))
      return p + __builtin_ctz(m);
    p += 16;
  }
  if (p < e && e - lo >= 16) {
    const char* const t = e - 16;
    const unsigned m = stop_mask<Eq>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t))) >> (p - t);
    return m ? p + __builtin_ctz(m) : e;
  }
  return skip_to(p, e, Eq ? kNameStop : kValueStop);
}
#endif

// kValueStop and kNameStop as find_any() sets.
inline const char* find_value_stop(const char* p, const char* e, const char* lo) noexcept {
#if defined(__SSE2__)
  return find_stop<false>(p, e, lo);
#else
  return find_any<kValueStop, ';', ',', '"', '<', '>', ' ', '\t', '\r', '\n'>(p, e, lo);
#endif
}
inline const char* find_name_stop(const char* p, const char* e, const char* lo) noexcept {
#if defined(__SSE2__)
  return find_stop<true>(p, e, lo);
#else
  return find_any<kNameStop, ';', ',', '"', '<', '>', ' ', '\t', '\r', '\n', '='>(p, e, lo);
#endif
}

// Skips characters of cls and valid %HH escapes in [p, e); returns the first other position. An
// escape counts only if both hex digits lie inside [p, e), as all_of() requires.
inline const char* skip_escaped(const char* p, const char* e, std::uint16_t cls) noexcept {
  for (;;) {
    p = skip_in(p, e, cls);
    if (e - p > 2 && *p == '%' && hex(p[1]) && hex(p[2])) {
      p += 3;
      continue;
    }
    return p;
  }
}

// The run of decimal digits at p in [p, e) read as a port, with the answers of the loop
// `while (digit) { v = v * 10 + d; if (v > 65535) fail; }` plus a test for an empty run: the run's
// end with its value in out, or nullptr when the run is empty or its value exceeds 65535 (a run's
// prefixes only grow in value, so one of them is past 65535 exactly when the whole run is).
// lo <= p is the lowest address known to be readable. One 8-byte word instead of a step per digit
// (the ports of Vias and URIs are a handful of digits): the word starts at p, or ends at e when
// [lo, e) holds 8 bytes but [p, e) does not; a run of 8 or more digits takes the loop. Always
// inlined: GCC kept it out of line, and the call cost a third of the scan.
[[gnu::always_inline]] inline const char* scan_port(const char* p, const char* e,
                                                    [[maybe_unused]] const char* lo,
                                                    std::uint32_t& out) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (e - p >= 8 || (p < e && e - lo >= 8)) {
    std::uint64_t w;
    if (e - p >= 8) {
      std::memcpy(&w, p, 8);
    } else {
      std::memcpy(&w, e - 8, 8);
      w >>= 8 * (8 - (e - p));  // p's byte first; the bytes shifted in are 0, not digits
    }
    // Digits become 0..9; a byte is not a digit when it is now above 9: bit 7 of x + 0x76 or of
    // x. A carry out of a byte only reaches bytes after the first non-digit, which ctz ignores.
    const std::uint64_t x = w ^ 0x3030303030303030u;
    const std::uint64_t stop = ((x + 0x7676767676767676u) | x) & 0x8080808080808080u;
    if (stop) {
      const auto d = static_cast<unsigned>(__builtin_ctzll(stop)) / 8;  // digits in the run, < 8
      if (d == 0) return nullptr;
      // The d digits as the last of eight (the first as the most significant), zeros before them.
      std::uint64_t v = x << (8 * (8 - d));
      v = (v * 2561) >> 8;  // pairs of digits: 10 * a + b in every other byte
      v = ((v & 0x00FF00FF00FF00FFu) * 6553601) >> 16;
      v = ((v & 0x0000FFFF0000FFFFu) * 42949672960001u) >> 32;
      if (v > 65535) return nullptr;
      out = static_cast<std::uint32_t>(v);
      return p + d;
    }
  }
#endif
  const char* const b = p;
  std::uint32_t v = 0;
  while (p < e && digit(*p)) {
    v = v * 10 + static_cast<unsigned>(*p - '0');
    if (v > 65535) return nullptr;
    ++p;
  }
  if (p == b) return nullptr;
  out = v;
  return p;
}

// Case-insensitive compare of n bytes at p with a lowercase literal of the same length. Only the
// literal's letters fold, so a byte that is not a letter must match exactly (no OR-0x20 aliasing of
// e.g. VT onto '+'). Literals of 4 to 16 bytes compare as two (overlapping) words, which read
// exactly the literal's length; the words and fold masks are constants once inlined.
template <std::size_t N>
inline bool lit_iequals(const char* p, const char (&lit)[N]) noexcept {
  constexpr std::size_t L = N - 1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if constexpr (L >= 4 && L <= 16) {
    using W = std::conditional_t<(L >= 8), std::uint64_t, std::uint32_t>;
    constexpr std::size_t kW = sizeof(W);
    auto pack = [&](std::size_t at, bool fold) {
      W w = 0;
      // Unrolled, so that the literal's bytes fold into constants (a loop is not, at -O2).
#pragma GCC unroll 8
      for (std::size_t k = 0; k < kW; ++k) {
        const char l = lit[at + k];
        const unsigned char b = fold ? ((l >= 'a' && l <= 'z') ? 0x20 : 0) : static_cast<unsigned char>(l);
        w |= static_cast<W>(b) << (8 * k);
      }
      return w;
    };
    W a, b;
    std::memcpy(&a, p, kW);
    std::memcpy(&b, p + (L - kW), kW);
    return (((a | pack(0, true)) ^ pack(0, false)) | ((b | pack(L - kW, true)) ^ pack(L - kW, false))) == 0;
  }
#endif
  for (std::size_t i = 0; i < L; ++i) {
    const char l = lit[i];
    const char fold = (l >= 'a' && l <= 'z') ? 0x20 : 0;
    if (static_cast<char>(p[i] | fold) != l) return false;
  }
  return true;
}
template <std::size_t N>
inline bool lit_iequals(std::string_view s, const char (&lit)[N]) noexcept {
  return s.size() == N - 1 && lit_iequals(s.data(), lit);
}

inline std::string_view trim(std::string_view s) noexcept {
  // Values reach here trimmed nearly always: LWS bytes are all below '!', so two compares settle it.
  if (s.empty() ||
      (static_cast<unsigned char>(s.front()) > ' ' && static_cast<unsigned char>(s.back()) > ' ')) [[likely]]
    return s;
  std::size_t b = 0, e = s.size();
  while (b < e && lws(s[b])) ++b;
  while (e > b && lws(s[e - 1])) --e;
  return std::string_view(s.data() + b, e - b);
}

}  // namespace duet::sip::chars

namespace duet::sip {
// Resets a view struct to its defaults where it lies. `x = T{}` builds a temporary and copies it,
// and a plain placement-new of these few-hundred-byte structs becomes `rep stos`, whose start-up
// costs more than parsing a short value. Copying a constant default instance with 16-byte moves
// keeps every default member initializer in force and runs in a few dozen plain stores.
template <class T>
inline void reset_in_place(T& x) noexcept {
  static_assert(std::is_trivially_destructible_v<T> && std::is_trivially_copyable_v<T>);
#if defined(__SSE2__)
  alignas(16) static constexpr T kDefault{};
  static_assert(alignof(T) <= 16);
  auto* const dst = reinterpret_cast<unsigned char*>(&x);
  const auto* const src = reinterpret_cast<const unsigned char*>(&kDefault);
  std::size_t i = 0;
#pragma GCC unroll 32
  for (; i + 16 <= sizeof(T); i += 16)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                     _mm_load_si128(reinterpret_cast<const __m128i*>(src + i)));
  if constexpr (sizeof(T) % 16 != 0) std::memcpy(dst + i, src + i, sizeof(T) % 16);
#else
  ::new (static_cast<void*>(&x)) T{};
#endif
}
}  // namespace duet::sip
