// STUN Binding (RFC 5389) on the SIP UDP ports: the keepalive of RFC 5626 §4.4.2. A UA using outbound
// over UDP sends Binding requests on its flow and takes an unanswered one for a dead flow (it then
// registers again), so an edge proxy MUST answer them (§8.4). Nothing else of STUN is served.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace duet::transport {

// A datagram that can only be STUN: a SIP message never starts with a byte below 0x40 (RFC 5389 §6:
// the two top bits of a STUN message are 0) nor carries the magic cookie at bytes 4..7.
bool looks_like_stun(std::string_view d) noexcept;

// The Binding success response to a Binding request d from `from`, with XOR-MAPPED-ADDRESS (RFC 5389
// §15.2), written to out; its size, or 0 when d is not a well-formed Binding request (indications,
// responses and other methods are not answered).
constexpr std::size_t kStunResponseMax = 20 + 4 + 20;
std::size_t stun_binding_response(std::string_view d, const sockaddr_storage& from,
                                  std::uint8_t (&out)[kStunResponseMax]) noexcept;

}  // namespace duet::transport
