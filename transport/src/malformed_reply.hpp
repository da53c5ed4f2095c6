// The answer to a request parse() refused. Built from the raw bytes rather than from the partial
// Message, because the parser stops at the first error and the header it stopped on (a bad CSeq,
// a SIP/3.0 start line) is exactly one the response must still copy (RFC 3261 §8.2.6.2).
#pragma once

#include <cstddef>
#include <string_view>

#include "duet/sip/via.hpp"
#include "duet/transport/source.hpp"

namespace duet::transport {

struct MalformedReply {
  std::string_view bytes;  // empty: not answerable (not a request, an ACK, or a needed header missing)
  sip::Via top_via;        // valid when bytes is not empty
};

// "SIP/2.0 <code> <reason>" with the request's Via (top one with received/rport), From, To (with
// to_tag added if it has none), Call-ID and CSeq copied, written into buf.
MalformedReply build_malformed_reply(std::string_view raw, int code, std::string_view reason,
                                     const Source& src, std::string_view to_tag, char* buf,
                                     std::size_t cap) noexcept;

}  // namespace duet::transport
