// Parser-internal host classification for callers that already delimited the host.
#pragma once

#include <cstddef>
#include <string_view>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "chars.hpp"
#include "duet/sip/uri.hpp"

namespace duet::sip {

// classify_host() for a host made only of hostname characters (alphanum, '-', '.'), as a URI or
// Via scanner finds it: one pass over the labels instead of an IPv4 try and a hostname pass.
HostKind classify_plain_host(std::string_view host) noexcept;

// IPv4address (RFC 3261 §25.1): four dot-separated parts of 1 to 3 digits, each at most 255.
bool ipv4_address(std::string_view s) noexcept;

// The run of hostname characters (alphanum - .) at p in [p, e), classified as classify_plain_host()
// would classify it: returns the run's end. A dotted IPv4 address, what most Vias and many URIs
// hold, is recognised in the same pass. lo <= p is the lowest address known to be readable.
// Inlined into its two callers (Via sent-by, URI host): it runs on every message, and is short
// next to the cost of a call that must save most registers.
[[gnu::always_inline]] inline const char* scan_plain_host(const char* p, const char* e,
                                                          [[maybe_unused]] const char* lo,
                                                          HostKind& kind) noexcept {
#if defined(__SSE2__)
  // IPv4address from bit masks of one 16-byte load (an address has at most 15 characters), the
  // same answer as the scalar reading below: four runs of 1 to 3 digits, each at most 255, three
  // dots between them, and no hostname character after the fourth.
  const bool simd = p < e && chars::digit(*p) && (e - p >= 16 || e - lo >= 16);
  if (simd) {
    const char* const base = e - p >= 16 ? p : e - 16;
    const auto shift = static_cast<unsigned>(p - base);
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base));
    const __m128i digit = chars::in_range<'0', '9'>(x);
    const unsigned digits = static_cast<unsigned>(_mm_movemask_epi8(digit)) >> shift;
    const unsigned dots =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')))) >> shift;
    // The run of digits and dots from p holds exactly three dots, which cut it into four parts of
    // 1 to 3 digits (positions a < b < c; no fourth dot, or the fourth part would not end the
    // address); what follows the run must not be a hostname character (digits and dots are in it).
    const unsigned run = static_cast<unsigned>(__builtin_ctz(~(digits | dots)));  // <= 16
    unsigned rest = dots & ((1u << run) - 1);
    const auto a = static_cast<unsigned>(__builtin_ctz(rest | 0x10000u));
    rest &= rest - 1;
    const auto b = static_cast<unsigned>(__builtin_ctz(rest | 0x10000u));
    rest &= rest - 1;
    const auto c = static_cast<unsigned>(__builtin_ctz(rest | 0x10000u));
    rest &= rest - 1;
    // Unsigned differences: an empty part wraps around, so each test is one compare.
    bool ok = rest == 0 && a - 1 < 3 && b - a - 2 < 3 && c - b - 2 < 3 && run - c - 2 < 3;
    if (ok) {
      // A three-digit part is at most 255. Inlined: as a call it cost more than the test.
      auto over = [](const char* d, unsigned len) __attribute__((always_inline)) {
        return len == 3 && (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0') > 255;
      };
      ok = !over(p, a) && !over(p + a + 1, b - a - 1) && !over(p + b + 1, c - b - 1) &&
           !over(p + c + 1, run - c - 1);
    }
    if (ok) {
      const char* const q = p + run;  // run <= 15
      if (q == e || !chars::is(*q, chars::kHostChar)) {
        kind = HostKind::ipv4;
        return q;
      }
    }
  }
#else
  constexpr bool simd = false;
#endif
  if (!simd && p < e && chars::digit(*p)) {
    // IPv4address as ipv4_address() reads it; if the run of hostname characters ends right after it, that
    // run is this address and classify_plain_host() would say ipv4.
    const char* q = p;
    int part = 0;
    for (; part < 4; ++part) {
      if (q == e || !chars::digit(*q)) break;
      unsigned v = static_cast<unsigned>(*q++ - '0');
      for (int k = 0; k < 2 && q < e && chars::digit(*q); ++k) v = v * 10 + static_cast<unsigned>(*q++ - '0');
      if (v > 255) break;
      if (part < 3) {
        if (q == e || *q != '.') break;
        ++q;
      }
    }
    if (part == 4 && (q == e || !chars::is(*q, chars::kHostChar))) {
      kind = HostKind::ipv4;
      return q;
    }
  }
#if defined(__SSE2__)
  // A name of fewer than 16 characters, classified from bit masks of one 16-byte load: the load
  // starts at p, or ends at e when [lo, e) holds 16 bytes but [p, e) does not.
  const std::ptrdiff_t avail = e - p;
  if (avail > 0 && (avail >= 16 || e - lo >= 16)) {
    const char* const base = avail >= 16 ? p : e - 16;
    const unsigned shift = static_cast<unsigned>(p - base);
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base));
    const __m128i l = _mm_or_si128(x, _mm_set1_epi8(0x20));
    const __m128i letter = chars::in_range<'a', 'z'>(l);
    const __m128i digit = chars::in_range<'0', '9'>(x);
    const unsigned alpha = static_cast<unsigned>(_mm_movemask_epi8(letter)) >> shift;
    const unsigned dash =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')))) >> shift;
    const unsigned dot =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')))) >> shift;
    const unsigned host = alpha | dash | dot | (static_cast<unsigned>(_mm_movemask_epi8(digit)) >> shift);
    const unsigned len = static_cast<unsigned>(avail >= 16 ? 16 : avail);
    const unsigned run = static_cast<unsigned>(__builtin_ctz(~host | (1u << len)));
    if (run < 16) {
      const char* const end = p + run;
      // classify_plain_host(): a trailing '.' is dropped; then labels are non-empty and neither start
      // nor end with '-'; an alphabetic top label makes a name, a digit first character an IPv4 try.
      unsigned n = run;
      if (n > 0 && ((dot >> (n - 1)) & 1u)) --n;
      if (n == 0) {
        kind = HostKind::none;
        return end;
      }
      const unsigned in = (1u << n) - 1;
      const unsigned dots = dot & in;
      const unsigned starts = (1u | (dots << 1)) & in;
      const unsigned ends = ((dots >> 1) | (1u << (n - 1))) & in;
      if ((dots & starts) || ((dots >> (n - 1)) & 1u) || (dash & (starts | ends))) {
        kind = HostKind::none;
        return end;
      }
      const unsigned top = dots ? 32u - static_cast<unsigned>(__builtin_clz(dots)) : 0u;
      if ((alpha >> top) & 1u) {
        kind = HostKind::name;
      } else {
        kind = (chars::digit(*p) && ipv4_address(std::string_view(p, run))) ? HostKind::ipv4 : HostKind::none;
      }
      return end;
    }
  }
#endif
  const char* const end = chars::skip_in(p, e, chars::kHostChar);
  kind = classify_plain_host(std::string_view(p, static_cast<std::size_t>(end - p)));
  return end;
}

}  // namespace duet::sip
