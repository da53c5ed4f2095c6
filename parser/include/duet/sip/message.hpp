// The SIP message parser: one call over a buffer, in the manner of picohttpparser.
//
//   duet::sip::Message msg;
//   auto r = duet::sip::parse(buf, msg, {.mode = Framing::datagram});
//   if (r.status == ParseStatus::ok) { ... msg.header(HeaderId::call_id) ... }
//
// Everything a Message hands out is a std::string_view into the caller's buffer, which must outlive
// the Message and must not move. parse() never allocates for messages with up to kInlineHeaders
// headers, and never reads outside [buf.data(), buf.data() + buf.size()).
//
// parse() checks what every consumer relies on: the start line, the header block's syntax, the
// presence of the mandatory headers, CSeq, Call-ID, Max-Forwards and Content-Length, and it parses
// the topmost Via (transactions, responses), From and To (dialogs, the registrar's AOR) and keeps
// them. Everything else (Contact, Route, other Vias, ...) is parsed by the typed views in the other
// headers of this directory, only when asked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "duet/sip/error.hpp"
#include "duet/sip/header_id.hpp"
#include "duet/sip/method.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/via.hpp"

namespace duet::sip {

enum class ParseStatus : std::uint8_t { ok, need_more, error };

// How the message reached us decides how its body is delimited (RFC 3261 §18.3).
enum class Framing : std::uint8_t {
  // UDP: the datagram is the message. A missing Content-Length means "the rest of the datagram";
  // a Content-Length shorter than the remainder truncates the body; a longer one is an error.
  datagram,
  // TCP/TLS/WS: Content-Length is mandatory; an incomplete message is ParseStatus::need_more.
  stream,
};

struct Limits {
  std::size_t max_message_size = 65535;  // header block + body
  std::size_t max_line_length = 8192;    // one header line including folded continuations
  std::uint16_t max_headers = 256;       // header fields (not comma-separated values)
};

struct ParseOptions {
  Framing mode = Framing::datagram;
  Limits limits{};
  // RFC 3261 §8.1.1 makes Max-Forwards mandatory in requests; some old UAs omit it. A proxy that
  // prefers to assume 70 turns this off.
  bool require_max_forwards = true;
};

struct ParseResult {
  ParseStatus status = ParseStatus::error;
  // ok: bytes of the message, including CRLFs skipped before its start line (RFC 3261 §7.5).
  // need_more/error: bytes of leading CRLF that may be discarded.
  std::size_t consumed = 0;
  ParseError error = ParseError::none;
};

inline constexpr std::uint16_t kNoHeader = 0xFFFF;

struct HeaderField {
  std::string_view name;         // as written, e.g. "v" or "VIA"
  std::string_view value;        // leading/trailing whitespace trimmed; folded lines kept raw (CRLF+WS)
  std::uint32_t line_begin = 0;  // offset in Message::raw() of the name's first byte
  std::uint32_t line_end = 0;    // offset just past the line's terminating (CR)LF
  HeaderId id = HeaderId::other;
  std::uint16_t next = kNoHeader;  // next field with the same id, in message order
};

class Message {
 public:
  static constexpr std::uint16_t kInlineHeaders = 40;

  Message() = default;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  bool is_request() const noexcept { return is_request_; }
  bool is_response() const noexcept { return !is_request_; }

  // The whole message (start line to end of body), without leading CRLFs.
  std::string_view raw() const noexcept { return raw_; }
  std::string_view start_line() const noexcept { return start_line_; }  // without CRLF

  // Requests.
  Method method_id() const noexcept { return method_id_; }
  std::string_view method() const noexcept { return method_; }
  std::string_view request_uri() const noexcept { return request_uri_; }
  // Responses.
  int status_code() const noexcept { return status_code_; }
  std::string_view reason_phrase() const noexcept { return reason_phrase_; }

  std::string_view version() const noexcept { return version_; }

  // Header fields in message order.
  std::uint16_t header_count() const noexcept { return header_count_; }
  const HeaderField& field(std::uint16_t i) const noexcept { return fields_[i]; }

  // First field with this id, or nullptr. Use field.next to walk the rest.
  const HeaderField* find(HeaderId id) const noexcept {
    const auto i = first_[static_cast<std::size_t>(id)];
    return i == kNoHeader ? nullptr : &fields_[i];
  }
  const HeaderField* next(const HeaderField& f) const noexcept {
    return f.next == kNoHeader ? nullptr : &fields_[f.next];
  }
  // Value of the first field with this id; empty if absent (check has() when empty matters).
  std::string_view header(HeaderId id) const noexcept {
    const auto* f = find(id);
    return f ? f->value : std::string_view{};
  }
  bool has(HeaderId id) const noexcept { return find(id) != nullptr; }
  std::uint16_t count(HeaderId id) const noexcept;
  // Lookup of a header with no id, by case-insensitive name. Linear; for rare headers only.
  const HeaderField* find_other(std::string_view name) const noexcept;

  // Values checked by parse().
  std::uint32_t cseq_number() const noexcept { return cseq_number_; }
  std::string_view cseq_method() const noexcept { return cseq_method_; }
  std::string_view call_id() const noexcept { return header(HeaderId::call_id); }
  // -1 when absent.
  int max_forwards() const noexcept { return max_forwards_; }
  // Parsed by parse(): the topmost via-parm, From and To (with their URIs).
  const Via& top_via() const noexcept { return top_via_; }
  const NameAddr& from() const noexcept { return from_; }
  const NameAddr& to() const noexcept { return to_; }
  // True when the message carried a Content-Length header.
  bool has_content_length() const noexcept { return has_content_length_; }

  // Offset in raw() of the blank line that ends the header block (where a header may be appended).
  std::uint32_t header_end() const noexcept { return header_end_; }
  std::string_view body() const noexcept { return body_; }

  void reset() noexcept;

 private:
  friend ParseResult parse(std::string_view, Message&, const ParseOptions&) noexcept;
  // Appends a field with this id, linked into its id's chain; the caller fills in the rest.
  // nullptr when max_headers is reached (or growing failed).
  HeaderField* push_field(HeaderId id, std::uint16_t max_headers) noexcept;
  bool grow_fields(std::uint16_t max_headers) noexcept;

  std::string_view raw_, start_line_, method_, request_uri_, reason_phrase_, version_, body_;
  std::string_view cseq_method_;
  Via top_via_;
  NameAddr from_, to_;
  std::uint32_t cseq_number_ = 0;
  std::uint32_t header_end_ = 0;
  int status_code_ = 0;
  int max_forwards_ = -1;
  Method method_id_ = Method::unknown;
  bool is_request_ = false;
  bool has_content_length_ = false;
  std::uint16_t header_count_ = 0;
  std::uint16_t capacity_ = kInlineHeaders;
  HeaderField* fields_ = inline_;
  std::unique_ptr<HeaderField[]> overflow_;
  std::uint16_t first_[kHeaderIdCount];
  std::uint16_t last_[kHeaderIdCount];
  HeaderField inline_[kInlineHeaders];
};

// Parses one message from the start of buf. On ok, msg describes it and r.consumed says where the
// next message (on a stream) begins. On error, r.error says why; msg is left partially filled (its
// start line and the headers read so far are valid, which lets a server still build a 400).
ParseResult parse(std::string_view buf, Message& msg, const ParseOptions& opts = {}) noexcept;

}  // namespace duet::sip
