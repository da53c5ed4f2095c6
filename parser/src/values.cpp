#include "duet/sip/values.hpp"

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
  std::size_t i = 0;
  std::uint64_t n = 0;
  while (i < s.size() && chars::digit(s[i])) {
    n = n * 10 + static_cast<unsigned>(s[i] - '0');
    if (n > 0x7FFFFFFFu) return false;
    ++i;
  }
  if (i == 0 || i >= s.size() || !chars::lws(s[i])) return false;
  while (i < s.size() && chars::lws(s[i])) ++i;
  const auto method = s.substr(i);
  if (!is_token(method)) return false;
  out.number = static_cast<std::uint32_t>(n);
  out.method = method;
  out.method_id = method_from_token(method);
  return true;
}

bool ValueSplitter::next(std::string_view& out) noexcept {
  std::size_t i = 0;
  const auto n = rest_.size();
  while (i < n && (chars::lws(rest_[i]) || rest_[i] == ',')) ++i;
  if (i >= n) {
    rest_ = {};
    return false;
  }
  const std::size_t start = i;
  bool quoted = false;
  int angle = 0;
  for (; i < n; ++i) {
    const char c = rest_[i];
    if (quoted) {
      if (c == '\\') {
        ++i;  // quoted-pair: skip the escaped character
      } else if (c == '"') {
        quoted = false;
      }
    } else if (angle > 0) {
      if (c == '>') --angle;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      ++angle;
    } else if (c == ',') {
      break;
    }
  }
  if (quoted || angle > 0) ok_ = false;
  out = chars::trim(rest_.substr(start, std::min(i, n) - start));
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
