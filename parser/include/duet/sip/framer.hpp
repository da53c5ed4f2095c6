// Finds message boundaries in a byte stream (TCP, TLS) without parsing the message: the transport
// calls this on its receive buffer, hands each complete message to parse() and keeps the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "duet/sip/error.hpp"
#include "duet/sip/message.hpp"

namespace duet::sip {

enum class FrameKind : std::uint8_t {
  need_more,  // no complete frame yet; keep the bytes and read more
  message,    // [0, size) is one SIP message
  ping,       // RFC 5626 §4.4.1 double-CRLF keepalive: answer with a single CRLF "pong"
  pong,       // a single CRLF (a pong, or stray CRLF): discard size bytes
  error,      // the stream is unusable (e.g. no Content-Length, oversize header): answer 400/513, close
};

struct Frame {
  FrameKind kind = FrameKind::need_more;
  std::size_t size = 0;  // bytes the frame occupies at the start of the buffer
  ParseError error = ParseError::none;
};

// Looks at the start of buf only. Limits are the same as the parser's: a header block that grows
// past max_message_size without a blank line, or a line past max_line_length, is an error rather
// than an unbounded buffer.
Frame next_frame(std::string_view buf, const Limits& limits = {}) noexcept;

}  // namespace duet::sip
