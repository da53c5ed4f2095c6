#include "duet/sip/values.hpp"

#include <cstring>

#include "chars.hpp"

namespace duet::sip {

bool is_lws(char c) noexcept {
  return chars::lws(c);
}
bool is_token_char(char c) noexcept {
  return chars::token(c);
}
bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!chars::token(c)) return false;
  return true;
}
std::string_view trim_lws(std::string_view s) noexcept {
  return chars::trim(s);
}

bool parse_uint32(std::string_view s, std::uint32_t& out, std::uint32_t max) noexcept {
  s = chars::trim(s);
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!chars::digit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > max) return false;
  }
  out = static_cast<std::uint32_t>(v);
  return true;
}

bool parse_cseq(std::string_view value, CSeq& out) noexcept {
  // CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16); the number is below 2**31 (§8.1.1.5).
  const auto s = chars::trim(value);
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
  // The method: a non-empty token running to the end (trim() left no LWS there). A known method
  // is one, so only other names are checked character by character.
  if (p == e) return false;
  const std::string_view method(p, static_cast<std::size_t>(e - p));
  const Method id = method_from_token(method);
  if (id == Method::unknown && chars::skip_in(p, e, chars::kToken) != e) return false;
  out.number = static_cast<std::uint32_t>(n);
  out.method = method;
  out.method_id = id;
  return true;
}

bool ValueSplitter::next(std::string_view& out) noexcept {
  std::size_t i = 0;
  const auto n = rest_.size();
  const char* const d = rest_.data();
  while (i < n && (chars::lws(d[i]) || d[i] == ',')) ++i;
  if (i >= n) {
    rest_ = {};
    return false;
  }
  const std::size_t start = i;
  // Only , " < matter outside quotes and brackets; a quoted string ends at an unescaped '"', a
  // bracketed URI at the first '>' (quotes inside it are not special).
  while (i < n) {
    // An element that starts with its bracketed URI (a Contact, Route, ...) needs no search for it.
    if (d[i] != '<') {
      i = static_cast<std::size_t>(chars::find_any<chars::kSplitStop, ',', '"', '<'>(d + i, d + n, d) - d);
      if (i >= n) break;
    }
    const char c = d[i];
    if (c == ',') {
      break;
    } else if (c == '"') {
      ++i;
      for (;;) {  // to the closing '"'; a quoted-pair skips a character
        i = static_cast<std::size_t>(chars::find_any<0, '"', '\\'>(d + i, d + n, d) - d);
        if (i >= n || d[i] == '"') break;
        if (i + 1 >= n) {  // a backslash closing the value: unterminated (no pointer past the end)
          i = n;
          break;
        }
        i += 2;
      }
      if (i >= n) {
        ok_ = false;
        i = n;
        break;
      }
      ++i;
    } else {  // '<'
      const char* const gt = chars::find_any<0, '>'>(d + i + 1, d + n, d);
      if (gt == d + n) {
        ok_ = false;
        i = n;
        break;
      }
      i = static_cast<std::size_t>(gt - d) + 1;
    }
  }
  out = chars::trim(rest_.substr(start, i - start));
  rest_ = i < n ? rest_.substr(i + 1) : std::string_view{};
  return true;
}

bool token_list_contains(std::string_view list, std::string_view token) noexcept {
  ValueSplitter s(list);
  std::string_view v;
  while (s.next(v)) {
    if (iequals(v, token)) return true;
  }
  return false;
}

}  // namespace duet::sip
