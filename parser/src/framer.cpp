// Stream framing (RFC 3261 §18.3 Content-Length; RFC 5626 §4.4.1 CRLF keepalives).
#include "duet/sip/framer.hpp"

#include <cstring>

#include "chars.hpp"
#include "duet/sip/values.hpp"

namespace duet::sip {

Frame next_frame(std::string_view buf, const Limits& lim) noexcept {
  const char* const b = buf.data();
  const std::size_t n = buf.size();
  if (n == 0) return {};
  if (b[0] == '\r' || b[0] == '\n') {
    if (b[0] == '\n') return {FrameKind::pong, 1, ParseError::none};  // stray LF
    if (n < 2) return {};
    if (b[1] != '\n') return {FrameKind::error, 0, ParseError::bare_cr};
    if (n >= 4 && b[2] == '\r' && b[3] == '\n') return {FrameKind::ping, 4, ParseError::none};
    if (n == 2 || (n == 3 && b[2] == '\r')) return {};  // may still become a ping
    return {FrameKind::pong, 2, ParseError::none};
  }
  // Walk the header lines to the blank line, noting Content-Length on the way.
  const std::size_t scan = n < lim.max_message_size ? n : lim.max_message_size;
  std::size_t line = 0;
  bool has_cl = false;
  std::uint32_t cl = 0;
  std::size_t header_len = 0;
  bool first_line = true;
  // Content-Length's value may continue on folded lines: it is read once its logical line ends.
  std::size_t cl_value = 0;
  bool cl_pending = false;
  auto take_cl = [&](std::size_t value_end) {
    cl_pending = false;
    std::uint32_t v;
    if (!parse_uint32(std::string_view(b + cl_value, value_end - cl_value), v, 0x7FFFFFFFu))
      return ParseError::bad_content_length;
    if (has_cl && v != cl) return ParseError::conflicting_content_length;
    cl = v;
    has_cl = true;
    return ParseError::none;
  };
  for (;;) {
    const char* lf = static_cast<const char*>(std::memchr(b + line, '\n', scan - line));
    if (!lf) {
      // A line's limit counts its characters without CRLF, whether or not its end has arrived.
      const std::size_t pending = scan - line - (scan > line && b[scan - 1] == '\r' ? 1 : 0);
      if (pending > lim.max_line_length) return {FrameKind::error, 0, ParseError::header_line_too_long};
      if (n >= lim.max_message_size) return {FrameKind::error, 0, ParseError::message_too_large};
      return {};
    }
    const std::size_t next = static_cast<std::size_t>(lf - b) + 1;
    const std::size_t content = next - 1 - line - (lf > b + line && lf[-1] == '\r' ? 1 : 0);
    if (content > lim.max_line_length) return {FrameKind::error, 0, ParseError::header_line_too_long};
    std::string_view text(b + line, next - line);
    const bool continuation = !first_line && chars::ws(text[0]);
    if (cl_pending && !continuation) {
      if (auto e = take_cl(line); e != ParseError::none) return {FrameKind::error, 0, e};
    }
    if (text == "\r\n" || text == "\n") {
      header_len = next;
      break;
    }
    if (!first_line && !continuation) {
      std::size_t k = 0;
      while (k < text.size() && chars::token(text[k])) ++k;
      const auto name = text.substr(0, k);
      while (k < text.size() && chars::ws(text[k])) ++k;
      if (k < text.size() && text[k] == ':' && header_id_from_name(name) == HeaderId::content_length) {
        cl_value = line + k + 1;
        cl_pending = true;
      }
    }
    first_line = false;
    line = next;
  }
  if (!has_cl) return {FrameKind::error, 0, ParseError::missing_content_length};
  if (header_len + cl > lim.max_message_size) return {FrameKind::error, 0, ParseError::message_too_large};
  if (header_len + cl > n) return {};
  return {FrameKind::message, header_len + cl, ParseError::none};
}

}  // namespace duet::sip
