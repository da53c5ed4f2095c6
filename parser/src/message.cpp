// parse(): the start line and the header block in one forward pass. Each header line starts with
// one SSE2 look at its first 32 bytes (name, colon, header id and usually the line end together);
// longer values are searched 16 bytes at a time. Values are not looked into except for the few
// headers that every consumer relies on (CSeq, Content-Length, Max-Forwards, Call-ID).
#include "duet/sip/message.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "chars.hpp"
#include "duet/sip/values.hpp"
#include "header_id_internal.hpp"
#include "via_internal.hpp"

namespace duet::sip {

void Message::reset() noexcept {
  // Each view from a constant: a chained assignment stores one view and reloads it whole (two
  // 8-byte stores then a 16-byte load), which stalls on store forwarding.
  constexpr std::string_view kEmpty{};
  raw_ = kEmpty;
  start_line_ = kEmpty;
  method_ = kEmpty;
  request_uri_ = kEmpty;
  reason_phrase_ = kEmpty;
  version_ = kEmpty;
  body_ = kEmpty;
  cseq_method_ = kEmpty;
  cseq_number_ = 0;
  header_end_ = 0;
  status_code_ = 0;
  max_forwards_ = -1;
  method_id_ = Method::unknown;
  is_request_ = false;
  has_content_length_ = false;
  header_count_ = 0;
  std::memset(first_, 0xFF, sizeof first_);
  // last_[id] is read only once first_[id] is set, and the typed views are assigned whole by parse().
  // Except the top Via's text: writers reuse the parsed top Via when its text is the via-parm they
  // see, so one left from the previous message in a reused buffer must not match (a message that
  // fails before its Via is parsed).
  top_via_.text = kEmpty;
}

// Rare: more headers than fit inline. Grows once to the configured limit; false when it cannot.
bool Message::grow_fields(std::uint16_t max_headers) noexcept {
  const std::uint16_t cap = std::min<std::uint16_t>(max_headers, kNoHeader - 1);
  if (cap <= capacity_) return false;
  std::unique_ptr<HeaderField[]> grown(new (std::nothrow) HeaderField[cap]);
  if (!grown) return false;
  std::copy(fields_, fields_ + header_count_, grown.get());
  overflow_ = std::move(grown);
  fields_ = overflow_.get();
  capacity_ = cap;
  return true;
}

// Defined here, before parse(), its only caller, so that it inlines there.
inline HeaderField* Message::push_field(HeaderId id, std::uint16_t max_headers) noexcept {
  if (header_count_ >= max_headers) return nullptr;
  if (header_count_ == capacity_ && !grow_fields(max_headers)) return nullptr;
  const std::uint16_t i = header_count_++;
  HeaderField* const f = &fields_[i];
  f->id = id;
  f->next = kNoHeader;
  const auto k = static_cast<std::size_t>(id);
  if (first_[k] == kNoHeader) {
    first_[k] = i;
  } else {
    fields_[last_[k]].next = i;
  }
  last_[k] = i;
  return f;
}

std::uint16_t Message::count(HeaderId id) const noexcept {
  std::uint16_t n = 0;
  for (const HeaderField* f = find(id); f; f = next(*f)) ++n;
  return n;
}

const HeaderField* Message::find_other(std::string_view name) const noexcept {
  for (const HeaderField* f = find(HeaderId::other); f; f = next(*f)) {
    if (iequals(f->name, name)) return f;
  }
  return nullptr;
}

namespace {

// "SIP/2.0": returns none, bad_version or unsupported_version. The literal is case-insensitive
// (RFC 3261 §25: ABNF strings), the numbers are 1*DIGIT each.
ParseError check_version(std::string_view v) noexcept {
  if (v.size() == 7 && chars::lit_iequals(v.data(), "sip/2.0")) return ParseError::none;  // as nearly all are
  if (v.size() < 7 || chars::lower(v[0]) != 's' || chars::lower(v[1]) != 'i' || chars::lower(v[2]) != 'p' ||
      v[3] != '/')
    return ParseError::bad_version;
  std::size_t i = 4;
  const std::size_t major_begin = i;
  while (i < v.size() && chars::digit(v[i])) ++i;
  const std::size_t major_end = i;
  if (major_end == major_begin || i >= v.size() || v[i] != '.') return ParseError::bad_version;
  ++i;
  const std::size_t minor_begin = i;
  while (i < v.size() && chars::digit(v[i])) ++i;
  if (i == minor_begin || i != v.size()) return ParseError::bad_version;
  if (v.substr(major_begin, major_end - major_begin) != "2" || v.substr(minor_begin) != "0")
    return ParseError::unsupported_version;
  return ParseError::none;
}

// scheme ":" ... with no whitespace or control characters (RFC 3261 §25.1 Request-URI).
bool plausible_request_uri(std::string_view u, [[maybe_unused]] const char* lo) noexcept {
  if (u.empty() || !chars::is(u[0], chars::kAlpha)) return false;
  std::size_t i = 1;
  if (u.size() > 4 && chars::lit_iequals(u.data(), "sip:")) {
    i = 3;  // the usual scheme, as the loop below would find it
  } else {
    while (i < u.size() &&
           (chars::is(u[i], chars::kAlpha | chars::kDigit) || u[i] == '+' || u[i] == '-' || u[i] == '.'))
      ++i;
  }
  if (i >= u.size() || u[i] != ':' || i + 1 == u.size()) return false;
  const char* q = u.data();
  const char* const e = q + u.size();
#if defined(__SSE2__)
  // 16 bytes per step; the last few as part of the 16 bytes that end the URI (it follows the
  // method, which starts the line, at or after lo).
  auto blank_or_ctl = [](__m128i x) {
    const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x20)), x);
    return static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(low, _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F)))));
  };
  for (; e - q >= 16; q += 16)
    if (blank_or_ctl(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)))) return false;
  if (q < e && e - lo >= 16) {
    const char* const t = e - 16;
    return (blank_or_ctl(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t))) >> (q - t)) == 0;
  }
#endif
  for (; q < e; ++q) {
    const auto uc = static_cast<unsigned char>(*q);
    if (uc <= 0x20 || uc == 0x7F) return false;
  }
  return true;
}

// Where the method token at the start of a request line ends, as skip_in(kToken) finds it, and the
// method's id. A known method is a token that ends at the line's first SP, so one look for that SP
// and the lookup parse() needs anyway settle the usual case.
std::size_t method_end(std::string_view line, Method& id) noexcept {
#if defined(__SSE2__)
  if (line.size() >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(line.data()));
    const unsigned spaces = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' '))));
    const auto sp = static_cast<std::size_t>(__builtin_ctz(spaces | 0x10000u));
    if (sp < 16) {
      id = method_from_token(line.substr(0, sp));
      if (id != Method::unknown) return sp;
    }
  }
#endif
  const auto i = static_cast<std::size_t>(
      chars::skip_in(line.data(), line.data() + line.size(), chars::kToken) - line.data());
  id = method_from_token(line.substr(0, i));
  return i;
}

ParseError parse_start_line(std::string_view line, Method& method_id, std::string_view& method,
                            std::string_view& uri, std::string_view& version, std::string_view& reason,
                            int& status, bool& is_request) noexcept {
  if (line.size() >= 4 && chars::lower(line[0]) == 's' && chars::lower(line[1]) == 'i' &&
      chars::lower(line[2]) == 'p' && line[3] == '/') {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    is_request = false;
    const auto sp = line.find(' ');
    if (sp == std::string_view::npos) return ParseError::bad_start_line;
    version = line.substr(0, sp);
    if (sp != 7 || !chars::lit_iequals(line.data(), "sip/2.0")) {  // as check_version() begins
      if (auto e = check_version(version); e != ParseError::none) return e;
    }
    const auto code = line.substr(sp + 1, 3);
    if (code.size() != 3 || !chars::digit(code[0]) || !chars::digit(code[1]) || !chars::digit(code[2]))
      return ParseError::bad_status_code;
    status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (status < 100) return ParseError::bad_status_code;
    const auto after = sp + 4;
    if (after < line.size()) {
      if (line[after] != ' ') return ParseError::bad_status_code;
      reason = line.substr(after + 1);
    }
    return ParseError::none;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version, single SPs (RFC 3261 §7.1).
  is_request = true;
  const std::size_t i = method_end(line, method_id);
  if (i == 0 || i >= line.size() || line[i] != ' ')
    return i == 0 ? ParseError::bad_start_line : ParseError::bad_method;
  method = line.substr(0, i);
  // The last SP, before the version: nearly always "SIP/2.0", which has none; then that look is
  // also the version check.
  const std::size_t n = line.size();
  const bool usual_version =
      n > 8 && line[n - 8] == ' ' && chars::lit_iequals(line.data() + n - 7, "sip/2.0");
  const std::size_t last_sp = usual_version ? n - 8 : line.rfind(' ');
  if (last_sp == i) return ParseError::bad_start_line;  // only two elements
  const ParseError version_error = usual_version ? ParseError::none : check_version(line.substr(last_sp + 1));
  version = line.substr(last_sp + 1);
  uri = line.substr(i + 1, last_sp - i - 1);
  if (!plausible_request_uri(uri, line.data())) {
    // A version-shaped last element with a broken middle is a bad URI; otherwise the line is broken.
    return version_error == ParseError::none ? ParseError::bad_request_uri : ParseError::bad_start_line;
  }
  return version_error;
}

bool call_id_valid(std::string_view v, [[maybe_unused]] const char* lo) noexcept {
  // callid = word [ "@" word ]: a run of word characters, at most one '@' that neither starts nor
  // ends it. Since this runs on every message, 16 characters per step where lo (the lowest
  // readable address, at or before v) lets the last ones be read as the 16 bytes ending v.
  if (v.empty() || v.front() == '@' || v.back() == '@') return false;
  const char* p = v.data();
  const char* const e = p + v.size();
  bool at = false;
#if defined(__SSE2__)
  // Per byte, whether it is neither a word character nor '@' (word: RFC 3261 §25.1, as kWord:
  // printable ASCII but # $ & , ; = @ ^ |), and whether it is '@'.
  // The word characters and '@' are the printable ones that are not excluded; '$' and '&' differ
  // only in bit 1, so x | 0x02 equals '&' exactly for those two.
  auto check = [&at](__m128i x, unsigned shift) {
    auto eq = [x](char c) { return _mm_cmpeq_epi8(x, _mm_set1_epi8(c)); };
    const __m128i excluded =
        _mm_or_si128(_mm_or_si128(_mm_or_si128(eq('#'), eq(',')), _mm_or_si128(eq(';'), eq('='))),
                     _mm_or_si128(_mm_or_si128(eq('^'), eq('|')),
                                  _mm_cmpeq_epi8(_mm_or_si128(x, _mm_set1_epi8(0x02)), _mm_set1_epi8('&'))));
    const __m128i allowed = _mm_andnot_si128(excluded, chars::in_range<0x21, 0x7E>(x));
    const unsigned bad = (~static_cast<unsigned>(_mm_movemask_epi8(allowed)) & 0xFFFFu) >> shift;
    if (bad) return false;
    const unsigned ats =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('@')))) >> shift;
    if (ats) {
      if (at || (ats & (ats - 1))) return false;
      at = true;
    }
    return true;
  };
  for (; e - p >= 16; p += 16)
    if (!check(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), 0)) return false;
  if (p < e && e - lo >= 16) {
    const char* const t = e - 16;
    return check(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t)), static_cast<unsigned>(p - t));
  }
#endif
  for (; p < e; ++p) {
    if (chars::is(*p, chars::kWord)) continue;
    if (*p != '@' || at) return false;
    at = true;
  }
  return true;
}

// parse_cseq() (number, method and its id) for a value parse() has already trimmed of LWS,
// inline: a call cost a fifth of it. Stores only on success.
[[gnu::always_inline]] inline bool cseq_in_place(std::string_view s, std::uint32_t& number,
                                                 std::string_view& method, Method& method_id) noexcept {
  const char* const b = s.data();
  const char* const e = b + s.size();
  const char* p = b;
  std::uint64_t n = 0;
  while (p < e && chars::digit(*p)) {
    n = n * 10 + static_cast<unsigned>(*p - '0');
    if (n > 0x7FFFFFFFu) return false;
    ++p;
  }
  if (p == b || p >= e || !chars::lws(*p)) return false;
  do ++p;
  while (p < e && chars::lws(*p));
  if (p == e) return false;
  const std::string_view m(p, static_cast<std::size_t>(e - p));
  const Method id = method_from_token(m);
  if (id == Method::unknown && chars::skip_in(p, e, chars::kToken) != e) return false;
  number = static_cast<std::uint32_t>(n);
  method = m;
  method_id = id;
  return true;
}

// parse_uint32() for a value parse() has already trimmed of LWS, inline, as cseq_in_place().
[[gnu::always_inline]] inline bool uint_in_place(std::string_view s, std::uint32_t max,
                                                 std::uint32_t& out) noexcept {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (!chars::digit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > max) return false;
  }
  out = static_cast<std::uint32_t>(v);
  return true;
}

// NUL is legal in a header only as an escaped character of a quoted string (quoted-pair allows
// %x00, RFC 3261 §25.1; RFC 4475 §3.1.1.2). Only called when a NUL was seen, so it may be slow.
bool nul_only_escaped(std::string_view v) noexcept {
  bool quoted = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '\0') return false;
    if (quoted && c == '\\') {
      ++i;  // the escaped character, NUL included
    } else if (c == '"') {
      quoted = !quoted;
    }
  }
  return true;
}

// From and To hold exactly one name-addr or addr-spec. parse_name_addr() itself rejects a second
// value: after '>' only ';' params may follow, and an addr-spec may not contain ','.
bool single_name_addr(std::string_view value, NameAddr& out) noexcept {
  return parse_name_addr(value, out, true) && !out.star;
}

// The first CR, LF or NUL in [p, end), or nullptr: one pass finds the line end and the two
// characters that may not appear inside a header value.
const char* find_cr_lf_nul(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n'), nul = _mm_setzero_si128();
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, lf)), _mm_cmpeq_epi8(x, nul));
    if (const int mask = _mm_movemask_epi8(hit)) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  for (; p < end; ++p)
    if (*p == '\r' || *p == '\n' || *p == '\0') return p;
  return nullptr;
}

// The ids parse() looks into (the switch in the header loop), as a bit set.
constexpr std::uint64_t id_bit(HeaderId id) noexcept {
  return std::uint64_t{1} << static_cast<unsigned>(id);
}
constexpr std::uint64_t kCheckedIds = id_bit(HeaderId::content_length) | id_bit(HeaderId::cseq) |
                                      id_bit(HeaderId::max_forwards) | id_bit(HeaderId::call_id) |
                                      id_bit(HeaderId::from) | id_bit(HeaderId::to);
static_assert(kHeaderIdCount <= 64);

// f.id = id and f.next = kNoHeader as one 4-byte store (the byte between them is padding): the
// header run stores a field per line, and this saves an instruction and a constant on each.
inline void set_id_and_end(HeaderField& f, HeaderId id) noexcept {
  static_assert(offsetof(HeaderField, next) == offsetof(HeaderField, id) + 2 && sizeof(HeaderId) == 1);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const std::uint32_t w = static_cast<std::uint32_t>(id) | (std::uint32_t{kNoHeader} << 16);
  std::memcpy(reinterpret_cast<unsigned char*>(&f) + offsetof(HeaderField, id), &w, sizeof w);
#else
  f.id = id;
  f.next = kNoHeader;
#endif
}

#if defined(__SSE2__)
// Per byte of x, a bit set when it is a letter or '-': the characters of nearly every header name.
// For those, OR-ing 0x20 lowercases letters and leaves '-' alone.
inline unsigned name_char_mask(__m128i x) noexcept {
  const __m128i l = _mm_or_si128(x, _mm_set1_epi8(0x20));
  const __m128i letter = chars::in_range<'a', 'z'>(l);
  return static_cast<unsigned>(
      _mm_movemask_epi8(_mm_or_si128(letter, _mm_cmpeq_epi8(x, _mm_set1_epi8('-')))));
}

inline unsigned eq_mask(__m128i x, char ch) noexcept {
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(ch))));
}
inline unsigned eq_mask(__m128i x, __m128i y) noexcept {
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)));
}

// Whether c[0], c[1] are CR LF, in one 16-bit compare.
inline bool crlf_at(const char* c) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  std::uint16_t w;
  std::memcpy(&w, c, 2);
  return w == 0x0A0D;
#else
  return c[0] == '\r' && c[1] == '\n';
#endif
}

// Per byte of x, a bit set when it is a control character up to CR (NUL, HT, LF, CR, ...) or a byte
// of 0x80 or more: every byte that ends a value, and rarer ones that send a line to the general
// path (which then decides, as for any line the fast ways turn down). One signed compare finds the
// other bytes (those from 0x80 are negative, so they come with the stops), and the mask is their
// complement: for two registers at once (a's bytes in bits 0-15, b's in 16-31), one NOT serves both.
inline unsigned plain_mask(__m128i x) noexcept {
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x0D))));
}
inline unsigned control_mask(__m128i x) noexcept {
  return plain_mask(x) ^ 0xFFFFu;
}
inline unsigned control_mask(__m128i a, __m128i b) noexcept {
  return ~(plain_mask(a) | (plain_mask(b) << 16));
}
// The first control character up to CR or byte from 0x80 (as control_mask()) in [s, end), or nullptr; s is at
// least 16 bytes after the start of the buffer, so the last few bytes are read as the 16 that end it.
inline const char* find_control(const char* s, const char* end) noexcept {
  for (; end - s >= 16; s += 16) {
    if (const unsigned hit = control_mask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s))))
      return s + __builtin_ctz(hit);
  }
  if (end > s) {
    const unsigned hit =
        control_mask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(end - 16))) >> (16 - (end - s));
    if (hit) return s + __builtin_ctz(hit);
  }
  return nullptr;
}
#endif
}  // namespace

ParseResult parse(std::string_view buf, Message& m, const ParseOptions& opts) noexcept {
  m.reset();
  const bool stream = opts.mode == Framing::stream;
  const Limits& lim = opts.limits;
  const char* const begin = buf.data();
  const char* const end = begin + buf.size();

  const char* p = begin;
  while (p < end && (*p == '\r' || *p == '\n')) ++p;
  const std::size_t lead = static_cast<std::size_t>(p - begin);

  auto fail = [&](ParseError e) { return ParseResult{ParseStatus::error, lead, e}; };
  // Running out of bytes: more may come on a stream; a datagram is simply cut short.
  auto incomplete = [&](ParseError datagram_error) {
    return stream ? ParseResult{ParseStatus::need_more, lead, ParseError::none} : fail(datagram_error);
  };
  // The header block may not grow past the message size limit, complete or not.
  const char* const block_limit =
      (static_cast<std::size_t>(end - p) > lim.max_message_size) ? p + lim.max_message_size : end;

  if (p == end) return incomplete(ParseError::bad_start_line);

  // Start line. One search for its LF and any CR or NUL settles the usual line (no CR or NUL
  // before its CRLF or LF); any other is left to the LF search and the CR/NUL check after it.
  const char* const first_limit =
      p + std::min<std::size_t>(static_cast<std::size_t>(block_limit - p), lim.max_line_length + 2);
  const char* nl = nullptr;
  const char* line_end = nullptr;
  if (const char* const c = chars::find_any<0, '\n', '\r', '\0'>(p, first_limit, begin); c < first_limit) {
    if (*c == '\n') {
      nl = line_end = c;
    } else if (*c == '\r' && first_limit - c >= 2 && c[1] == '\n') {
      line_end = c;
      nl = c + 1;
    }
  }
  if (nl) {
    m.start_line_ = std::string_view(p, static_cast<std::size_t>(line_end - p));
    m.raw_ = std::string_view(p, static_cast<std::size_t>(end - p));  // provisional, for error results
  } else {
    nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(first_limit - p)));
    if (!nl) {
      if (static_cast<std::size_t>(end - p) > lim.max_line_length + 1)
        return fail(ParseError::header_line_too_long);
      if (block_limit < end) return fail(ParseError::message_too_large);
      return incomplete(ParseError::bad_start_line);
    }
    line_end = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
    m.start_line_ = std::string_view(p, static_cast<std::size_t>(line_end - p));
    m.raw_ = std::string_view(p, static_cast<std::size_t>(end - p));  // provisional, for error results
    if (chars::find_any<0, '\0', '\r'>(p, line_end, p) != line_end) return fail(ParseError::bad_start_line);
  }
  Method method_id = Method::unknown;
  if (auto e = parse_start_line(m.start_line_, method_id, m.method_, m.request_uri_, m.version_,
                                m.reason_phrase_, m.status_code_, m.is_request_);
      e != ParseError::none) {
    return fail(e);
  }
  if (m.is_request_) m.method_id_ = method_id;

  // Header block.
  const char* q = nl + 1;
  const char* body_start = nullptr;
  std::uint32_t content_length = 0;
  bool cseq_seen = false;
  Method cseq_method_id = Method::unknown;
  const std::size_t max_line = lim.max_line_length;
  // How far into its first 64 bytes a line's CR may lie for the run below to take it as it is.
  const unsigned run_max = static_cast<unsigned>(std::min<std::size_t>(max_line, 61));
  const std::uint16_t max_headers = lim.max_headers;
  // Fields that can be appended with no check but this count; push_field() decides beyond it.
  std::uint16_t room = std::min(max_headers, m.capacity_);

  // The few headers parse() looks into (kCheckedIds); none when the value is fine.
  auto check_value = [&](HeaderId id, std::string_view value) __attribute__((always_inline))->ParseError {
    switch (id) {
      case HeaderId::content_length: {
        std::uint32_t n;
        if (!uint_in_place(value, 0x7FFFFFFFu, n)) return ParseError::bad_content_length;
        if (m.has_content_length_ && n != content_length) return ParseError::conflicting_content_length;
        content_length = n;
        m.has_content_length_ = true;
        break;
      }
      case HeaderId::cseq: {
        if (cseq_seen) return ParseError::duplicate_header;
        cseq_seen = true;
        if (!cseq_in_place(value, m.cseq_number_, m.cseq_method_, cseq_method_id))
          return ParseError::bad_cseq;
        break;
      }
      case HeaderId::max_forwards: {
        if (m.max_forwards_ >= 0) return ParseError::duplicate_header;
        std::uint32_t n;
        if (!uint_in_place(value, 255, n)) return ParseError::bad_max_forwards;
        m.max_forwards_ = static_cast<int>(n);
        break;
      }
      case HeaderId::call_id:
        if (m.first_[static_cast<std::size_t>(HeaderId::call_id)] != kNoHeader)
          return ParseError::duplicate_header;
        if (!call_id_valid(value, p)) return ParseError::bad_call_id;
        break;
      case HeaderId::from:
      case HeaderId::to:
        if (m.first_[static_cast<std::size_t>(id)] != kNoHeader) return ParseError::duplicate_header;
        break;
      default:
        break;
    }
    return ParseError::none;
  };
  // Appends a field; false when there are too many.
  auto record = [&](HeaderId id, const char* name_begin, std::size_t name_len, std::string_view value,
                    const char* lf) __attribute__((always_inline)) {
    HeaderField* f;
    if (m.header_count_ < room) {
      const std::uint16_t i = m.header_count_++;
      f = &m.fields_[i];
      f->id = id;
      f->next = kNoHeader;
      const auto k = static_cast<std::size_t>(id);
      if (m.first_[k] == kNoHeader) {
        m.first_[k] = i;
      } else {
        m.fields_[m.last_[k]].next = i;
      }
      m.last_[k] = i;
    } else {
      f = m.push_field(id, max_headers);
      if (!f) return false;
      room = std::min(max_headers, m.capacity_);
    }
    f->name = std::string_view(name_begin, name_len);
    f->value = value;
    f->line_begin = static_cast<std::uint32_t>(name_begin - p);
    f->line_end = static_cast<std::uint32_t>(lf + 1 - p);
    return true;
  };

  for (;;) {
#if defined(__SSE2__)
    // Runs of usual lines, while 64 bytes can be read from the line's start: a name of letters and
    // '-' directly followed by ':', a value without control characters (nor bytes from 0x80), CRLF, no fold.
    // One look at the line's first 32 bytes finds the colon, the name's id and, for a short line, the line
    // end; bytes 32..63 are only looked at when the first 32 hold no control character (whether a line ends
    // within 32 bytes varies from line to line, but skipping two loads and their masks on the short lines
    // measured faster than reading all 64 every time); only lines over 64 bytes loop. This tight loop keeps
    // its state in registers and bypasses the per-line checks the general way needs (limit, blank line, bare
    // LF). Any other line (the blank line that ends the block included) leaves the run for the general way
    // below, which decides its errors; so does a line that ends too close to a limit. The 64 bytes lie inside
    // the header block, so a line end found among them (at most run_max bytes in) needs no test against the
    // block's end or the line length. The field count and array live in registers for the run (push_field()
    // may move the array, but only the general way below calls it); a line that would need it leaves the run.
    HeaderField* const fields = m.fields_;
    std::uint16_t count = m.header_count_;
    HeaderField* next_field = fields + count;  // fields[count], stepped with it
    while (block_limit - q >= 64 && count < room) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16));
      // Nearly every name is shorter than 16 characters: its colon is in a, and b need not be
      // searched for one (a branch that is rarely taken, so well predicted).
      unsigned colons = eq_mask(a, ':');
      if (colons == 0) colons = eq_mask(b, ':') << 16;
      const unsigned low_stops = control_mask(a, b);
      std::uint64_t stops = low_stops;
      if (low_stops == 0) {
        const __m128i a2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 32));
        const __m128i b2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 48));
        stops = std::uint64_t{control_mask(a2, b2)} << 32;
      }
      const auto n = static_cast<unsigned>(__builtin_ctz(colons | 0x80000000u));
      // A name of 1..30 characters with no control character before its colon.
      if (n - 1 >= 30 || (low_stops & ((2u << n) - 1)) != 0) break;
      HeaderId id = HeaderId::other;
      bool known = false;
      if (n - 2 <= kHeaderNameMaxLen - 2) [[likely]] {
        // A known name matches its table entry, whose letters and '-' make it a valid name (only
        // CR folds onto '-', and there is none before the colon).
        const __m128i fold = _mm_set1_epi8(0x20);
        const __m128i fa = _mm_or_si128(a, fold);
        // The folded first and third letters: bytes 0 and 2 of the name, from the register.
        const auto word = static_cast<std::uint32_t>(_mm_cvtsi128_si32(fa)) & 0x00FF00FFu;
        const HeaderNameEntry& e = kHeaderNameTable.entry[header_name_hash_word(n, word, q[n - 1])];
        // The name and its colon lie in a unless n >= 16.
        unsigned same = eq_mask(fa, _mm_load_si128(reinterpret_cast<const __m128i*>(e.lower)));
        if (n >= 16)
          same |=
              eq_mask(_mm_or_si128(b, fold), _mm_load_si128(reinterpret_cast<const __m128i*>(e.lower + 16)))
              << 16;
        // The name and its colon (at n, which folds to itself) equal the entry's: the entry's ':'
        // is at its length, so this is also the length test.
        if ((~same & ((2u << n) - 1)) == 0) [[likely]] {
          id = e.id;
          known = true;
        }
      }
      if (!known) {
        // An unknown name of letters and '-', or a compact form.
        const unsigned want = (1u << n) - 1;  // the name's bytes
        if (((name_char_mask(a) | (name_char_mask(b) << 16)) & want) != want) break;
        if (n == 1 && q[0] != '-') id = kCompactHeaderIds[static_cast<unsigned>((q[0] | 0x20) - 'a')];
      }
      // The value's first control character: the line's CR when all is well.
      const char* c;
      if (stops != 0) {
        const auto k = static_cast<unsigned>(__builtin_ctzll(stops));
        c = q + k;
        // k <= 61 puts the CR, the LF and the byte after them inside the 64 (and the block).
        if (k > run_max || !crlf_at(c) || chars::ws(c[2])) break;
      } else {
        c = find_control(q + 64, end);
        if (!c || static_cast<std::size_t>(c - q) > max_line || block_limit - c <= 2 || !crlf_at(c) ||
            chars::ws(c[2]))
          break;
      }
      // The value holds no byte up to CR (HT, CR and LF included): SP is its only LWS, and the CR
      // at c stops the first loop.
      const char* vb = q + n + 1;
      const char* ve = c;
      while (*vb == ' ') ++vb;
      if (vb != ve) [[likely]]
        while (ve[-1] == ' ') [[unlikely]]-- ve;
      const std::string_view value(vb, static_cast<std::size_t>(ve - vb));
      // As record() does, with the count in a register: its store would otherwise be reloaded on
      // every line (the field's 16-bit next may alias it). The field is filled in before the value
      // check, so that the value and id need not be kept across it; it counts (and is linked) only
      // after, so a value the check turns down leaves it outside the message.
      HeaderField* const f = next_field;
      f->name = std::string_view(q, n);
      f->value = value;
      f->line_begin = static_cast<std::uint32_t>(q - p);
      f->line_end = static_cast<std::uint32_t>(c + 2 - p);
      set_id_and_end(*f, id);
      if ((kCheckedIds >> static_cast<unsigned>(id)) & 1u) {
        if (const ParseError e = check_value(id, value); e != ParseError::none) {
          m.header_count_ = count;
          return fail(e);
        }
      }
      ++next_field;
      const auto k = static_cast<std::size_t>(id);
      if (m.first_[k] == kNoHeader) [[likely]] {  // most headers occur once
        m.first_[k] = count;
      } else {
        fields[m.last_[k]].next = count;
      }
      m.last_[k] = count;
      ++count;
      q = c + 2;
    }
    m.header_count_ = count;
#endif
    if (q >= block_limit)
      return block_limit < end ? fail(ParseError::message_too_large)
                               : incomplete(ParseError::unterminated_headers);
    if (*q == '\r') {
      if (q + 1 >= end) return incomplete(ParseError::unterminated_headers);
      if (q[1] != '\n') return fail(ParseError::bare_cr);
      m.header_end_ = static_cast<std::uint32_t>(q - p);
      body_start = q + 2;
      break;
    }
    if (*q == '\n') {  // bare LF line end, tolerated
      m.header_end_ = static_cast<std::uint32_t>(q - p);
      body_start = q + 1;
      break;
    }
    const char* const name_begin = q;
    const char* name_end;
    const char* value_begin;
    const char* value_end;
    const char* lf;
    HeaderId id = HeaderId::other;
    bool fast = false;
#if defined(__SSE2__)
    // The same fast path for a line that starts less than 64 bytes before the end of the buffer
    // (with 64 readable, the run above has already turned it down): one look at 32 bytes, or near
    // the end of the buffer at the 32 bytes that end there, with the masks shifted.
    // t: where the 32 bytes are loaded from; sh = q - t. Inlined twice, so that the usual case
    // (sh == 0) pays nothing for the shifts.
    auto fast_line = [&](const char* const t, const unsigned sh) __attribute__((always_inline)) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + 16));
      const unsigned colons = (eq_mask(a, ':') | (eq_mask(b, ':') << 16)) >> sh;
      const unsigned stops = control_mask(a, b) >> sh;
      const auto n = static_cast<unsigned>(__builtin_ctz(colons | 0x80000000u));
      // A name of 1..30 characters with no control character before its colon.
      if (n - 1 < 30 && (stops & ((2u << n) - 1)) == 0) {
        bool name_ok = false;
        const unsigned want = ((1u << n) - 1) << sh;  // the name's bytes in a and b
        if (n >= 2 && n <= kHeaderNameMaxLen) {
          // As above; the entry is loaded sh bytes early, from inside the table (slot 0 is
          // preceded by padding), to line it up with the name. The colon fits in the 32 bytes.
          const std::size_t k = header_name_hash(n, q[0], q[2], q[n - 1]);
          const HeaderNameEntry& e = kHeaderNameTable.entry[k];
          const char* const lower = reinterpret_cast<const char*>(&kHeaderNameTable) +
                                    offsetof(HeaderNameTable, entry) + k * sizeof(HeaderNameEntry) - sh;
          const __m128i fold = _mm_set1_epi8(0x20);
          const unsigned same =
              eq_mask(_mm_or_si128(a, fold), _mm_loadu_si128(reinterpret_cast<const __m128i*>(lower))) |
              (eq_mask(_mm_or_si128(b, fold), _mm_loadu_si128(reinterpret_cast<const __m128i*>(lower + 16)))
               << 16);
          const unsigned with_colon = ((2u << n) - 1) << sh;
          if ((same & with_colon) == with_colon) {
            id = e.id;
            name_ok = true;
          }
        }
        if (!name_ok && ((name_char_mask(a) | (name_char_mask(b) << 16)) & want) == want) {
          // An unknown name of letters and '-', or a compact form.
          name_ok = true;
          if (n == 1 && q[0] != '-') id = kCompactHeaderIds[static_cast<unsigned>((q[0] | 0x20) - 'a')];
        }
        if (name_ok) {
          // The value's first control character: the line's CR when all is well.
          const char* c = nullptr;
          if (stops != 0) {
            c = q + __builtin_ctz(stops);
          } else if (sh == 0) {
            c = find_control(q + 32, end);
          }
          if (c && static_cast<std::size_t>(c - q) <= max_line && block_limit - c > 2 && crlf_at(c) &&
              !chars::ws(c[2])) {
            fast = true;
            name_end = q + n;
            value_begin = name_end + 1;
            value_end = c;
            lf = c + 1;
          }
        }
      }
    };
    if (block_limit - q >= 64) {
      // Turned down by the run above.
    } else if (end - q >= 32) {
      fast_line(q, 0u);
    } else if (end - begin >= 32) {
      fast_line(end - 32, static_cast<unsigned>(q - (end - 32)));
    }
#endif
    if (!fast) {
      // The logical line ends at a LF not followed by SP/HT (RFC 3261 §7.3.1 folding).
      // A line may hold max_line_length characters before its CR/LF, folded continuations included.
      const char* const line_limit =
          (static_cast<std::size_t>(block_limit - name_begin) > lim.max_line_length)
              ? name_begin + lim.max_line_length + 1
              : block_limit;
      q = chars::skip_in(q, block_limit, chars::kToken);
      name_end = q;
      if (name_end == name_begin) {
        // A line starting with whitespace here would fold into the start line.
        return fail(*q == '\0' ? ParseError::nul_byte : ParseError::bad_header_name);
      }
      while (q < block_limit && chars::ws(*q)) ++q;
      if (q >= block_limit)
        return block_limit < end ? fail(ParseError::message_too_large)
                                 : incomplete(ParseError::unterminated_headers);
      if (*q != ':') {
        if (*q == '\r' || *q == '\n') return fail(ParseError::missing_colon);
        return fail(*q == '\0' ? ParseError::nul_byte : ParseError::bad_header_name);
      }
      ++q;
      value_begin = q;
      bool nul_seen = false;
      const char* c = find_cr_lf_nul(q, line_limit);
      for (;;) {
        if (!c) {
          if (line_limit < block_limit) return fail(ParseError::header_line_too_long);
          if (block_limit < end) return fail(ParseError::message_too_large);
          return incomplete(ParseError::unterminated_headers);
        }
        if (*c == '\0') {
          nul_seen = true;
          c = find_cr_lf_nul(c + 1, line_limit);
          continue;
        }
        if (c + 1 >= end) return incomplete(ParseError::unterminated_headers);
        if (*c == '\r') {
          if (c[1] != '\n') return fail(ParseError::bare_cr);
          lf = c + 1;
          if (lf + 1 >= end) return incomplete(ParseError::unterminated_headers);
        } else {
          lf = c;
        }
        if (lf[1] == ' ' || lf[1] == '\t') {
          c = find_cr_lf_nul(lf + 1, line_limit);
          continue;
        }
        break;
      }
      value_end = (lf > value_begin && lf[-1] == '\r') ? lf - 1 : lf;
      if (nul_seen &&
          !nul_only_escaped(std::string_view(value_begin, static_cast<std::size_t>(value_end - value_begin))))
        return fail(ParseError::nul_byte);
      id = header_id_lookup(name_begin, static_cast<std::size_t>(name_end - name_begin),
                            static_cast<std::size_t>(end - name_begin) >= kHeaderNameWideRead);
    }
    const char* vb = value_begin;
    const char* ve = value_end;
    if (fast) {
      // As above: SP is a fast line's only LWS, and the CR at value_end stops the first loop.
      while (*vb == ' ') ++vb;
      if (vb != ve)
        while (ve[-1] == ' ') --ve;
    } else {
      while (vb < ve && chars::lws(*vb)) ++vb;
      while (ve > vb && chars::lws(ve[-1])) --ve;
    }
    const std::string_view value(vb, static_cast<std::size_t>(ve - vb));
    q = lf + 1;
    // Most headers need nothing here; one predictable test keeps them off the jump table.
    if ((kCheckedIds >> static_cast<unsigned>(id)) & 1u) {
      if (const ParseError e = check_value(id, value); e != ParseError::none) return fail(e);
    }
    if (!record(id, name_begin, static_cast<std::size_t>(name_end - name_begin), value, lf))
      return fail(ParseError::too_many_headers);
  }

  // Mandatory headers (RFC 3261 §8.1.1); checked in the order a reader would list them.
  if (!m.has(HeaderId::via)) return fail(ParseError::missing_via);
  if (!m.has(HeaderId::from)) return fail(ParseError::missing_from);
  if (!m.has(HeaderId::to)) return fail(ParseError::missing_to);
  if (!m.has(HeaderId::call_id)) return fail(ParseError::missing_call_id);
  if (!cseq_seen) return fail(ParseError::missing_cseq);
  // The topmost Via, From and To: one value each, well-formed (RFC 4475 badinv01, quotbal, baddn).
  {
    if (!parse_first_via(m.find(HeaderId::via)->value, m.top_via_)) return fail(ParseError::bad_via);
    if (!single_name_addr(m.find(HeaderId::from)->value, m.from_)) return fail(ParseError::bad_from);
    if (!single_name_addr(m.find(HeaderId::to)->value, m.to_)) return fail(ParseError::bad_to);
  }
  if (m.is_request_) {
    if (opts.require_max_forwards && m.max_forwards_ < 0) return fail(ParseError::missing_max_forwards);
    // method_from_token() matches exactly, so two known methods are the same text exactly when
    // their ids are equal; only other names need the compare of the text.
    const bool same_method = (cseq_method_id != Method::unknown && method_id != Method::unknown)
                                 ? cseq_method_id == method_id
                                 : m.cseq_method_ == m.method_;
    if (!same_method) return fail(ParseError::cseq_method_mismatch);
  }

  // Body (RFC 3261 §18.3).
  const auto header_bytes = static_cast<std::size_t>(body_start - p);
  const auto available = static_cast<std::size_t>(end - body_start);
  std::size_t body_len;
  if (m.has_content_length_) {
    if (header_bytes + content_length > lim.max_message_size) return fail(ParseError::message_too_large);
    if (content_length > available) {
      if (stream) return ParseResult{ParseStatus::need_more, lead, ParseError::none};
      return fail(ParseError::body_truncated);
    }
    body_len = content_length;
  } else {
    if (stream) return fail(ParseError::missing_content_length);
    if (header_bytes + available > lim.max_message_size) return fail(ParseError::message_too_large);
    body_len = available;
  }
  m.body_ = std::string_view(body_start, body_len);
  m.raw_ = std::string_view(p, header_bytes + body_len);
  return ParseResult{ParseStatus::ok, lead + header_bytes + body_len, ParseError::none};
}

}  // namespace duet::sip
