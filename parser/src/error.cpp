#include "duet/sip/error.hpp"

namespace duet::sip {

std::string_view reason(ParseError e) noexcept {
  switch (e) {
    case ParseError::none:
      return "OK";
    case ParseError::bad_start_line:
      return "Malformed Start Line";
    case ParseError::bad_method:
      return "Malformed Method";
    case ParseError::bad_request_uri:
      return "Malformed Request-URI";
    case ParseError::unsupported_version:
      return "SIP Version Not Supported";
    case ParseError::bad_version:
      return "Malformed SIP Version";
    case ParseError::bad_status_code:
      return "Malformed Status Code";
    case ParseError::bad_header_name:
      return "Malformed Header Name";
    case ParseError::missing_colon:
      return "Header Line Without Colon";
    case ParseError::nul_byte:
      return "NUL Byte In Header";
    case ParseError::bare_cr:
      return "Bare CR In Header";
    case ParseError::header_line_too_long:
      return "Header Line Too Long";
    case ParseError::too_many_headers:
      return "Too Many Headers";
    case ParseError::message_too_large:
      return "Message Too Large";
    case ParseError::missing_via:
      return "Missing Via Header";
    case ParseError::missing_from:
      return "Missing From Header";
    case ParseError::missing_to:
      return "Missing To Header";
    case ParseError::missing_call_id:
      return "Missing Call-ID Header";
    case ParseError::missing_cseq:
      return "Missing CSeq Header";
    case ParseError::missing_max_forwards:
      return "Missing Max-Forwards Header";
    case ParseError::bad_cseq:
      return "Malformed CSeq Header";
    case ParseError::cseq_method_mismatch:
      return "CSeq Method Does Not Match Request Method";
    case ParseError::bad_content_length:
      return "Malformed Content-Length";
    case ParseError::conflicting_content_length:
      return "Conflicting Content-Length Headers";
    case ParseError::missing_content_length:
      return "Missing Content-Length On Stream";
    case ParseError::body_truncated:
      return "Body Shorter Than Content-Length";
    case ParseError::bad_call_id:
      return "Malformed Call-ID";
    case ParseError::bad_max_forwards:
      return "Malformed Max-Forwards";
    case ParseError::duplicate_header:
      return "Duplicate Single-Value Header";
    case ParseError::unterminated_headers:
      return "Header Block Not Terminated";
    case ParseError::bad_via:
      return "Malformed Via Header";
    case ParseError::bad_from:
      return "Malformed From Header";
    case ParseError::bad_to:
      return "Malformed To Header";
    case ParseError::count_:
      break;
  }
  return "Bad Request";
}

}  // namespace duet::sip
