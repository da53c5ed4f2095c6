// Responses the service writes itself (not the registrar's): OPTIONS to us, and refusals of what
// we do not serve yet.
#pragma once

#include <cstddef>
#include <string_view>

#include "duet/sip/message.hpp"
#include "duet/sip/writer.hpp"

namespace duet::server {

// Methods this server answers itself, for Allow (RFC 3261 §20.5: ACK and CANCEL included). The
// proxy's 405 for a request addressed to it says the same (src/proxy/proxy_requests.cpp).
inline constexpr std::string_view kAllow = "REGISTER, OPTIONS, ACK, CANCEL";
inline constexpr std::string_view kSupported = "path, outbound";
inline constexpr std::string_view kAccept = "application/sdp";

// The answer to OPTIONS addressed to us: 200 with Allow, Accept, Supported (RFC 3261 §11.2), or
// 420 with Unsupported when a Require field names an extension we do not implement (§8.2.2.3:
// a Require applies to every request a UAS answers, OPTIONS too).
std::string_view write_options_answer(const sip::Message& req, const sip::ResponseBuilder::ViaFix& via,
                                      char* out, std::size_t cap) noexcept;
// Any status with a reason; 405 gets Allow (RFC 3261 §21.4.6).
std::string_view write_status(const sip::Message& req, int status, std::string_view reason,
                              const sip::ResponseBuilder::ViaFix& via, char* out, std::size_t cap) noexcept;

}  // namespace duet::server
