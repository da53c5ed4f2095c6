// Where and how a response goes back (RFC 3261 §18.2.1, §18.2.2; RFC 3581).
#pragma once

#include "duet/sip/message.hpp"
#include "duet/sip/via.hpp"
#include "duet/sip/writer.hpp"
#include "duet/transport/address.hpp"
#include "duet/transport/source.hpp"

namespace duet::transport {

// The top via-parm of m. False if there is none or it does not parse.
bool top_via(const sip::Message& m, sip::Via& out) noexcept;

// received= when the sent-by host is not the packet's source address (or rport was asked, RFC 3581
// §4), rport= filled when asked. ip_buf (kIpStrLen bytes) holds the text the result points to.
sip::ResponseBuilder::ViaFix via_fix(const sip::Via& top, const Source& src, char* ip_buf) noexcept;

// Streams: src itself (the connection the request came on). UDP: the source address, and the
// source port if rport was asked, else the sent-by port (5060 by default). maddr is not supported.
Source response_target(const Source& src, const sip::Via& top) noexcept;

}  // namespace duet::transport
