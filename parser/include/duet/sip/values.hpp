// Small value grammars: comma-separated lists, token lists, numbers and CSeq.
#pragma once

#include <cstdint>
#include <string_view>

#include "duet/sip/method.hpp"

namespace duet::sip {

// Splits a header value on commas that are outside quoted strings and angle brackets, yielding
// each element trimmed of LWS (folded CRLF+WS counts as whitespace). Empty elements are skipped.
// Used for Via, Contact, Route, Record-Route, Path, Allow, Supported, Require, ...
class ValueSplitter {
 public:
  explicit ValueSplitter(std::string_view value) noexcept : rest_(value) {}
  bool next(std::string_view& out) noexcept;
  // False if a quote or '<' was never closed (the element returned is then the rest of the value).
  bool ok() const noexcept { return ok_; }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

// Calls f(element) for every element of every field with this id, in message order; f returns
// false to stop. Returns false if a value was malformed (unterminated quote or bracket).
class Message;
enum class HeaderId : std::uint8_t;
template <class F>
bool for_each_value(const Message& msg, HeaderId id, F&& f);

// Whitespace trimming where whitespace includes folded line breaks (CR, LF, SP, HT).
std::string_view trim_lws(std::string_view s) noexcept;
bool is_lws(char c) noexcept;
bool is_token_char(char c) noexcept;
bool is_token(std::string_view s) noexcept;

// Decimal unsigned integer, at most max; leading/trailing LWS allowed. False on anything else.
bool parse_uint32(std::string_view s, std::uint32_t& out, std::uint32_t max = 0xFFFFFFFFu) noexcept;

struct CSeq {
  std::uint32_t number = 0;  // RFC 3261 §8.1.1.5: less than 2**31
  std::string_view method;
  Method method_id = Method::unknown;
};
bool parse_cseq(std::string_view value, CSeq& out) noexcept;

// Case-insensitive ASCII compare. Inline: it mostly compares a parsed name with a literal, where the
// length test alone settles most calls.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

// True if the comma/whitespace separated token list (Require, Supported, Unsupported,
// Proxy-Require, Allow) contains token, case-insensitively.
bool token_list_contains(std::string_view list, std::string_view token) noexcept;

}  // namespace duet::sip

#include "duet/sip/message.hpp"

namespace duet::sip {
template <class F>
bool for_each_value(const Message& msg, HeaderId id, F&& f) {
  for (const HeaderField* h = msg.find(id); h; h = msg.next(*h)) {
    ValueSplitter s(h->value);
    std::string_view v;
    while (s.next(v)) {
      if (!f(v)) return true;
    }
    if (!s.ok()) return false;
  }
  return true;
}
}  // namespace duet::sip
