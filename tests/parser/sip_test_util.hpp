// Helpers shared by the parser tests: writing messages readably (LF in the source, CRLF on the
// wire), parsing into a Message that owns its buffer, and printing enums in failure messages.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "duet/sip/error.hpp"
#include "duet/sip/framer.hpp"
#include "duet/sip/message.hpp"

namespace duet::sip {
// gtest finds these by ADL, so a failed EXPECT_EQ shows the reason rather than a bare number.
inline void PrintTo(ParseError e, std::ostream* os) {
  *os << static_cast<int>(e) << " (" << reason(e) << ")";
}
inline void PrintTo(ParseStatus s, std::ostream* os) {
  static constexpr const char* kNames[] = {"ok", "need_more", "error"};
  *os << kNames[static_cast<int>(s)];
}
inline void PrintTo(FrameKind k, std::ostream* os) {
  static constexpr const char* kNames[] = {"need_more", "message", "ping", "pong", "error"};
  *os << kNames[static_cast<int>(k)];
}
}  // namespace duet::sip

namespace duet::sip::test {

// Every '\n' becomes "\r\n" (the test sources stay readable; the wire format is CRLF).
inline std::string crlf(std::string_view lf_text) {
  std::string out;
  out.reserve(lf_text.size() + lf_text.size() / 16);
  for (char c : lf_text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// A message from a head (start line and header lines, LF-terminated) plus a Content-Length that
// matches body, the blank line and the body (body bytes are used as they are).
inline std::string with_body(std::string_view head_lf, std::string_view body = {}) {
  std::string out = crlf(head_lf);
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out.append(body.data(), body.size());
  return out;
}

// The same message without the header line whose text starts with prefix (e.g. "Call-ID:").
inline std::string without_line(std::string msg, std::string_view prefix) {
  for (std::size_t pos = 0; pos < msg.size();) {
    const std::size_t eol = msg.find("\r\n", pos);
    if (eol == std::string::npos) break;
    if (std::string_view(msg).substr(pos, prefix.size()) == prefix) {
      msg.erase(pos, eol + 2 - pos);
      return msg;
    }
    pos = eol + 2;
  }
  return msg;
}

// The same message with the header line starting with prefix replaced by line (no CRLF in line).
inline std::string replace_line(std::string msg, std::string_view prefix, std::string_view line) {
  for (std::size_t pos = 0; pos < msg.size();) {
    const std::size_t eol = msg.find("\r\n", pos);
    if (eol == std::string::npos) break;
    if (std::string_view(msg).substr(pos, prefix.size()) == prefix) {
      msg.replace(pos, eol - pos, line);
      return msg;
    }
    pos = eol + 2;
  }
  return msg;
}

// A buffer and the Message parsed from it. Not movable: the Message points into buf.
struct Parsed {
  explicit Parsed(std::string text, const ParseOptions& opts = {}) : buf(std::move(text)) {
    r = parse(buf, msg, opts);
  }
  Parsed(const Parsed&) = delete;
  Parsed& operator=(const Parsed&) = delete;

  bool ok() const { return r.status == ParseStatus::ok; }

  std::string buf;
  Message msg;
  ParseResult r;
};

inline ParseOptions stream_opts() {
  ParseOptions o;
  o.mode = Framing::stream;
  return o;
}

// A well-formed INVITE with every mandatory header (RFC 3261 §8.1.1), in the style of §24.2 F1.
inline constexpr std::string_view kInviteHead =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds\n"
    "Max-Forwards: 70\n"
    "To: Bob <sip:bob@biloxi.example.com>\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\n"
    "Content-Type: application/sdp\n";

inline constexpr std::string_view kSdp =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.101\r\n"
    "t=0 0\r\n"
    "m=audio 49172 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

inline std::string invite() {
  return with_body(kInviteHead, kSdp);
}

// A 200 OK answering it (responses need no Max-Forwards).
inline constexpr std::string_view kOkHead =
    "SIP/2.0 200 OK\n"
    "Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bK4b43c2ff8.1\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;received=192.0.2.1\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:bob@192.0.2.4>\n";

inline std::string ok_response() {
  return with_body(kOkHead);
}

// All (name, value) pairs of a message, in order.
inline std::vector<std::pair<std::string, std::string>> all_fields(const Message& m) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::uint16_t i = 0; i < m.header_count(); ++i) {
    out.emplace_back(std::string(m.field(i).name), std::string(m.field(i).value));
  }
  return out;
}

}  // namespace duet::sip::test
