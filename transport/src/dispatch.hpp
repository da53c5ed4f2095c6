// The step shared by every transport once the bytes of one message are known: parse, hand a good
// message to the Handler, answer or drop a bad one.
#pragma once

#include <string_view>

#include "duet/sip/error.hpp"
#include "duet/sip/message.hpp"
#include "duet/transport/source.hpp"

namespace duet::transport {

class Worker;

void deliver(Worker& w, const Source& src, std::string_view bytes, sip::Framing mode);

// Answers a malformed request (raw: its bytes as received) with 400 and the parser's reason, 505 or
// 513, if it has Via, From, To, Call-ID and CSeq; otherwise, or for anything that is not a request,
// counts it as dropped. Returns true if an answer was sent.
bool answer_malformed(Worker& w, const Source& src, std::string_view raw, sip::ParseError err);

}  // namespace duet::transport
