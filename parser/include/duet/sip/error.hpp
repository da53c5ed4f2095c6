// Why a message could not be parsed. Each code has a short English reason that fits in a
// 400 reason phrase (RFC 3261 §21.4.1) and in a log line.
#pragma once

#include <cstdint>
#include <string_view>

namespace duet::sip {

enum class ParseError : std::uint8_t {
  none = 0,
  // start line
  bad_start_line,
  bad_method,
  bad_request_uri,
  unsupported_version,  // well-formed "SIP/x.y" other than 2.0: the server answers 505
  bad_version,
  bad_status_code,
  // header block
  bad_header_name,
  missing_colon,
  nul_byte,
  bare_cr,
  header_line_too_long,
  too_many_headers,
  message_too_large,
  // mandatory headers (RFC 3261 §8.1.1)
  missing_via,
  missing_from,
  missing_to,
  missing_call_id,
  missing_cseq,
  missing_max_forwards,
  // header values the parser itself must trust
  bad_cseq,
  cseq_method_mismatch,
  bad_content_length,
  conflicting_content_length,
  missing_content_length,  // stream transports (RFC 3261 §18.3)
  body_truncated,          // datagram shorter than its Content-Length
  bad_call_id,
  bad_max_forwards,
  duplicate_header,
  unterminated_headers,  // a datagram that ends inside its header block
  bad_via,               // the topmost via-parm does not parse
  bad_from,
  bad_to,  // a second Call-ID, CSeq, From, To
           // or Max-Forwards
  count_
};

// A reason phrase: ASCII, no CR/LF, suitable for "SIP/2.0 400 <reason>".
std::string_view reason(ParseError e) noexcept;

}  // namespace duet::sip
